using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using PushService.Auth;
using PushService.Configuration;
using PushService.Delivery;
using PushService.Demo;
using PushService.Diagnostics;
using PushService.Fanout;
using PushService.History;
using PushService.Lifecycle;
using PushService.Presence;
using PushService.Publishing;
using PushService.Protocol;
using PushService.Redis;
using PushService.Security;

namespace PushService;

/// <summary>The service's table of contents: what it registers and what it maps.</summary>
public static class PushServiceExtensions
{
    public static WebApplicationBuilder AddPushService(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var push = BindPushOptions(builder.Configuration);
        services.AddOptions<PushOptions>().BindConfiguration(PushOptions.SectionName)
            .PostConfigure(o => o.NodeId = o.NodeId.Length > 0 ? o.NodeId : push.NodeId)
            .ValidateOnStart();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PushOptions>, PushOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.AddProblemDetails();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, PublishJsonContext.Default));
        services.AddPushAuth();
        builder.AddPushSecurity();

        services.AddOptions<HistoryOptions>().BindConfiguration(HistoryOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HistoryOptions>, HistoryOptionsValidator>());
        if (push.UsesRedis)
        {
            services.TryAddSingleton<RedisConnection>();
            // Redis failures are counted (push.redis.errors) where every caller goes through.
            services.TryAddSingleton<RedisHistoryStore>();
            services.TryAddSingleton<IHistoryStore>(sp => new ErrorCountingHistoryStore(sp.GetRequiredService<RedisHistoryStore>(), sp.GetRequiredService<PushMetrics>()));
            services.TryAddSingleton<RedisPresenceStore>();
            services.TryAddSingleton<IPresenceStore>(sp => new ErrorCountingPresenceStore(sp.GetRequiredService<RedisPresenceStore>(), sp.GetRequiredService<PushMetrics>()));
            services.AddHostedService<PresenceRenewal>();
            services.TryAddSingleton<BackplaneMonitor>();
            services.AddHostedService(sp => sp.GetRequiredService<BackplaneMonitor>());
        }
        else
        {
            services.TryAddSingleton<IHistoryStore, MemoryHistoryStore>();
            services.TryAddSingleton<IPresenceStore, MemoryPresenceStore>();
        }
        services.AddOptions<PresenceOptions>().BindConfiguration(PresenceOptions.SectionName)
            .Validate(o => o.Lease >= TimeSpan.FromSeconds(1), "Push:Presence:Lease must be at least 1 second.")
            .ValidateOnStart();
        services.AddSingleton<HistoryReader>();
        services.AddSingleton<LocalConnections>();
        services.AddHealthChecks()
            .AddCheck<ReadinessCheck>("backplane", tags: ["ready"])
            .AddCheck<DrainReadinessCheck>("drain", tags: ["ready"]);

        services.AddOptions<DrainOptions>().BindConfiguration(DrainOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DrainOptions>, DrainOptionsValidator>());
        services.AddSingleton<DrainState>();
        services.AddSingleton<DrainingGate>();
        services.AddHostedService<GracefulDrain>();
        // The host waits for the drain (Delay included), plus a little for the rest of shutdown.
        services.AddOptions<HostOptions>().Configure<IOptions<DrainOptions>>((host, drain) => host.ShutdownTimeout = drain.Value.Timeout + DrainOptions.ShutdownAfterDrain);

        services.AddSingleton<PushMetrics>();
        services.AddOpenTelemetry().WithMetrics(meters =>
        {
            meters.AddMeter(PushMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections")
                // No scrape cache: two scrapes a moment apart must both tell the truth.
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
            // OTLP only when an endpoint is configured the standard way (OTEL_EXPORTER_OTLP_ENDPOINT).
            if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            {
                meters.AddOtlpExporter();
            }
        });

        services.AddSingleton<PublishBodyReader>();
        services.AddSingleton<PublishRequestValidator>();
        services.AddSingleton<Publisher>();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>());
        services.AddSingleton<PublishRateLimiter>();
        services.AddSingleton<PublishAdmission>();

        services.AddOptions<TopicsOptions>().BindConfiguration(TopicsOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TopicsOptions>, TopicsOptionsValidator>());
        services.AddSingleton<TopicAccess>();
        services.AddSingleton<HubRateLimitFilter>();
        services.AddSingleton<IUserIdProvider, NoSignalRUsers>();
        services.AddSignalR(hub => hub.AddFilter<HubRateLimitFilter>())
            .AddMessagePackProtocol()
            .AddPushRedisBackplane(push)
            .AddPushFanout(push);
        services.AddOptions<HubOptions>().Configure<IOptions<LimitsOptions>>((hub, limits) => hub.MaximumReceiveMessageSize = limits.Value.MaxHubMessageBytes);

        services.AddHostedService<StartupBanner>();
        return builder;
    }

    public static WebApplication MapPushService(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<QueryStringKeyGuard>();
        app.MapDemo();
        app.UsePushOrigins();
        app.UseMiddleware<DrainingGate>();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/healthz/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/healthz/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        app.MapPublishEndpoints();
        app.MapHistoryEndpoints();
        app.MapPresenceEndpoints();
        // MapHub, plus connection middleware that counts deliveries and closes slow consumers (the
        // guard wraps the counter, so writes it drops are not counted); the
        // hub's [Authorize] is endpoint metadata that MapConnections does not read, so the policy
        // is on the endpoint.
        var metrics = app.Services.GetRequiredService<PushMetrics>();
        var limits = app.Services.GetRequiredService<IOptions<LimitsOptions>>().Value;
        var transport = new HttpConnectionDispatcherOptions
        {
            // A connection ends when its token expires; clients reconnect with a fresh one and resume.
            CloseOnAuthenticationExpiration = true,
            TransportMaxBufferSize = limits.MaxConnectionBufferBytes,
            // The whole largest message must fit, or reading it would wait for itself.
            ApplicationMaxBufferSize = Math.Max(64 * 1024, 2 * limits.MaxHubMessageBytes),
        };
        var slowConsumers = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SlowConsumerGuard).FullName!);
        app.MapConnections(HubProtocolNames.HubPath, transport, connections => connections
                .UseSlowConsumerGuard(metrics, slowConsumers, limits.MaxConnectionBufferBytes)
                .UseHub<NotificationHub>())
            .RequireAuthorization(AuthPolicies.Subscriber)
            .RequireCors(SecurityServiceExtensions.HubCorsPolicy);
        return app;
    }

    // The backplane is chosen while services are registered, before options exist, so these
    // settings are validated here too: a bad Push:Redis must fail with its name, not deep in SignalR.
    private static PushOptions BindPushOptions(ConfigurationManager configuration)
    {
        var push = configuration.GetSection(PushOptions.SectionName).Get<PushOptions>() ?? new PushOptions();
        var validation = new PushOptionsValidator().Validate(Options.DefaultName, push);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(PushOptions), validation.Failures);
        }
        if (push.NodeId.Length == 0)
        {
            push.NodeId = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..6]}";
        }
        return push;
    }
}
