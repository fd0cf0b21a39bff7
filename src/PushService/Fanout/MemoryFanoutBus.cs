using PushService.Protocol;

namespace PushService.Fanout;

/// <summary>One node, no Redis: the only node is this one.</summary>
internal sealed class MemoryFanoutBus(FanoutDispatcher dispatcher) : IFanoutBus
{
    public Task PublishAsync(NotificationMessage message)
    {
        dispatcher.Enqueue(message);
        return Task.CompletedTask;
    }
}
