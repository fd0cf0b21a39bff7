using PushService.History;
using PushService.Protocol;

namespace PushService.Fanout;

/// <summary>
/// Carries notifications to the <see cref="FanoutDispatcher"/> of every node that has a recipient:
/// in memory on a single node; over Redis in a cluster, a channel per user (heard by the nodes
/// holding that user's connections) and one channel for topics and broadcasts (heard by all).
/// </summary>
internal interface IFanoutBus
{
    /// <summary>
    /// What the history store should publish as it appends the notification, so that store and
    /// push are one step (one Redis round trip); null when the store cannot, and
    /// <see cref="PublishAsync"/> follows the append instead.
    /// </summary>
    LivePush? PushOnAppend(NotificationMessage template);

    /// <summary>Sends an appended notification (offset and epoch set) to every node concerned.</summary>
    Task PublishAsync(NotificationMessage message);

    /// <summary>A connection of the user arrived on this node: from now on the node hears the user's notifications.</summary>
    /// <exception cref="Exception">The node could not start hearing them: the connection must not be used.</exception>
    Task JoinUserAsync(string user);

    /// <summary>A connection of the user left this node; the last one to leave ends the node's hearing.</summary>
    Task LeaveUserAsync(string user);
}
