using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using PushService.Configuration;
using PushService.Delivery;

namespace PushService.Fanout;

internal static class FanoutServiceCollectionExtensions
{
    /// <summary>
    /// Notifications go through PushService's own delivery (<see cref="IFanoutBus"/>, then each
    /// node's <see cref="FanoutDispatcher"/>); everything else — hub replies, closing connections —
    /// through SignalR's lifetime manager, in memory or its Redis backplane.
    /// </summary>
    public static ISignalRServerBuilder AddPushFanout(this ISignalRServerBuilder signalR, PushOptions push)
    {
        var services = signalR.Services;
        services.AddSingleton<LocalAudience>();
        services.AddSingleton<FanoutDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<FanoutDispatcher>());
        if (push.UsesRedis)
        {
            services.AddSingleton<RedisFanoutBus>();
            services.AddSingleton<IFanoutBus>(sp => sp.GetRequiredService<RedisFanoutBus>());
            services.AddHostedService(sp => sp.GetRequiredService<RedisFanoutBus>());
        }
        else
        {
            services.AddSingleton<IFanoutBus, MemoryFanoutBus>();
        }
        // The hub's own registration wins over SignalR's open-generic one; the container disposes
        // the wrapper, which disposes SignalR's manager.
        services.AddSingleton<HubLifetimeManager<NotificationHub>>(sp => new AudienceLifetimeManager<NotificationHub>(
            push.UsesRedis
                ? ActivatorUtilities.CreateInstance<RedisHubLifetimeManager<NotificationHub>>(sp)
                : ActivatorUtilities.CreateInstance<DefaultHubLifetimeManager<NotificationHub>>(sp),
            sp.GetRequiredService<LocalAudience>(),
            sp.GetRequiredService<IFanoutBus>(),
            sp.GetRequiredService<ILogger<AudienceLifetimeManager<NotificationHub>>>()));
        return signalR;
    }
}
