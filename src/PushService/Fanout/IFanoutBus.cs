using PushService.Protocol;

namespace PushService.Fanout;

/// <summary>
/// Carries topic and broadcast notifications to every node's <see cref="FanoutDispatcher"/>: in
/// memory on a single node, over one Redis channel in a cluster.
/// </summary>
internal interface IFanoutBus
{
    /// <summary>Sends a notification (its <c>Topic</c> set, or <c>Broadcast</c>) to every node.</summary>
    Task PublishAsync(NotificationMessage message);
}
