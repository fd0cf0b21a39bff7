using PushService.History;
using PushService.Protocol;

namespace PushService.Fanout;

/// <summary>One node, no Redis: the only node is this one, and it hears every user.</summary>
internal sealed class MemoryFanoutBus(FanoutDispatcher dispatcher) : IFanoutBus
{
    public LivePush? PushOnAppend(NotificationMessage template) => null;

    public Task PublishAsync(NotificationMessage message)
    {
        dispatcher.Enqueue(message);
        return Task.CompletedTask;
    }

    public Task JoinUserAsync(string user) => Task.CompletedTask;

    public Task LeaveUserAsync(string user) => Task.CompletedTask;
}
