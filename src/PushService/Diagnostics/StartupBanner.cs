using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using PushService.Auth;
using PushService.Configuration;

namespace PushService.Diagnostics;

/// <summary>Says, once the node listens, which engine it runs, its id and where to reach it.</summary>
internal sealed class StartupBanner(
    IServer server,
    IHostApplicationLifetime lifetime,
    IHostEnvironment environment,
    IOptions<PushOptions> push,
    IOptions<ApiKeyOptions> keys,
    ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var urls = string.Join(", ", addresses);
            HostingLog.Started(logger, push.Value.NodeId, push.Value.UsesRedis ? "redis" : "memory", urls);
            if (!push.Value.UsesRedis && !environment.IsDevelopment())
            {
                // A missing Push:Redis in a replicated deployment would leave every node alone.
                HostingLog.SingleNode(logger);
            }
            if (environment.IsDevelopment())
            {
                // Development only: where the demo is, and the key to publish with, so a fresh
                // `dotnet run` can be tried at once. No other environment ever logs a key.
                var url = addresses.FirstOrDefault() ?? "";
                if (keys.Value.ApiKeys.FirstOrDefault(k => k.Key.Length > 0) is { } key)
                {
                    HostingLog.DevelopmentKey(logger, url, key.Key, key.Name);
                }
                else
                {
                    // Keys given only as hashes: there is nothing to show.
                    HostingLog.DevelopmentDemo(logger, url);
                }
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
