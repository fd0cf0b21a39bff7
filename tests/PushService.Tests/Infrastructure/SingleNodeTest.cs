namespace PushService.Tests.Infrastructure;

/// <summary>A test class with one in-memory node of its own and a publisher HTTP client for it.</summary>
public abstract class SingleNodeTest : IAsyncLifetime
{
    protected PushNode Node { get; set; } = null!;

    protected HttpClient Publisher { get; private set; } = null!;

    /// <summary>The node's settings; override to change a limit.</summary>
    protected virtual Dictionary<string, string?> Settings => PushNode.DefaultSettings();

    public virtual async Task InitializeAsync()
    {
        Node = await PushNode.StartAsync(Settings);
        Publisher = Node.CreatePublisherClient();
    }

    public virtual async Task DisposeAsync()
    {
        Publisher.Dispose();
        await Node.DisposeAsync();
    }
}
