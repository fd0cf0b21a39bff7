using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PushService.Tests.Infrastructure;

/// <summary>
/// One service node, built exactly as Program.cs builds it, listening on a free loopback port
/// (Kestrel on 127.0.0.1:0, address read back). Configuration comes only from the test.
/// </summary>
public sealed class PushNode : IAsyncDisposable
{
    public const string ApiKey = "test-publisher-key-0123456789";
    public const string SigningKey = "test-signing-key-0123456789-0123456789-abcdef";

    private readonly WebApplication _app;

    private PushNode(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public IServiceProvider Services => _app.Services;

    public static Dictionary<string, string?> DefaultSettings(string? redis = null, string? prefix = null) => new()
    {
        ["Push:ApiKeys:0:Name"] = "tests",
        ["Push:ApiKeys:0:Key"] = ApiKey,
        ["Push:Jwt:SigningKey"] = SigningKey,
        ["Push:Redis"] = redis ?? "",
        ["Push:RedisPrefix"] = prefix ?? "push",
    };

    /// <param name="url">Where to listen; a free port when null (pass a stopped node's URL to restart it).</param>
    /// <param name="configure">Runs after the service is added: log providers (such as a <see cref="LogCapture"/>), Kestrel settings.</param>
    public static async Task<PushNode> StartAsync(Dictionary<string, string?>? settings = null, string environment = "Production", Uri? url = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = CreateBuilder(settings ?? DefaultSettings(), environment);
        configure?.Invoke(builder);
        if (url is not null)
        {
            builder.WebHost.UseUrls(url.ToString());
        }
        var app = builder.Build();
        app.MapPushService();
        await app.StartAsync().DefaultTimeout();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new PushNode(app, new Uri(address));
    }

    /// <summary>Builds and starts a node expected to fail at start; returns the failure.</summary>
    public static async Task<Exception> StartFailureAsync(Dictionary<string, string?> settings, string environment = "Production")
    {
        WebApplication? app = null;
        try
        {
            // Some settings are read while services are registered or endpoints mapped: all count as start.
            app = CreateBuilder(settings, environment).Build();
            app.MapPushService();
            await app.StartAsync().DefaultTimeout();
        }
        catch (Exception ex)
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
            return ex;
        }
        await app.DisposeAsync();
        throw new Xunit.Sdk.XunitException("The node started, but the configuration should have been refused.");
    }

    private static WebApplicationBuilder CreateBuilder(Dictionary<string, string?> settings, string environment)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = environment,
            ApplicationName = typeof(PushServiceExtensions).Assembly.GetName().Name,
            ContentRootPath = RepositoryPaths.ServiceProject,
            WebRootPath = Path.Combine(RepositoryPaths.ServiceProject, "wwwroot"),
        });
        // Only the test's settings: none of the service's appsettings files.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        // PUSH_TEST_LOGS=1 shows the nodes' logs when a test needs explaining.
        if (Environment.GetEnvironmentVariable("PUSH_TEST_LOGS") == "1")
        {
            builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
        }
        builder.AddPushService();
        return builder;
    }

    public HttpClient CreatePublisherClient(string? apiKey = ApiKey)
    {
        var client = new HttpClient { BaseAddress = Url };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().DefaultTimeout();
        await _app.DisposeAsync();
    }
}

public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string ServiceProject => Path.Combine(Root, "src", "PushService");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PushService.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("PushService.sln not found above " + AppContext.BaseDirectory);
    }
}
