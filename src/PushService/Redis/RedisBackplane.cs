using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using PushService.Configuration;
using PushService.Delivery;
using StackExchange.Redis;

namespace PushService.Redis;

internal static class RedisBackplane
{
    /// <summary>
    /// Scales out through SignalR's own Redis backplane: every user and connection send becomes a
    /// PUBLISH on a literal channel under the prefix, and each node delivers to its own
    /// connections. Topics and broadcasts take the fan-out's channel instead (Fanout/).
    /// </summary>
    public static ISignalRServerBuilder AddPushRedisBackplane(this ISignalRServerBuilder signalR, PushOptions push)
    {
        if (!push.UsesRedis)
        {
            return signalR;
        }
        // The connection (and its channel prefix) comes from RedisConnection, below.
        signalR.AddStackExchangeRedis(options => options.Configuration = ConfigurationOptions.Parse(push.Redis));
        // One multiplexer for the backplane, the history and the monitor: when the monitor says
        // the backplane receives, it speaks of the very connection SignalR uses.
        signalR.Services.AddOptions<RedisOptions>()
            .Configure<RedisConnection, IHostApplicationLifetime>((options, connection, lifetime)
                => options.ConnectionFactory = _ => connection.GetSubscribedAsync(lifetime.ApplicationStopping));
        return signalR;
    }
}
