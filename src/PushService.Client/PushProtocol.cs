namespace PushService.Client;

/// <summary>The SignalR hub protocol a <see cref="PushClient"/> uses on the wire.</summary>
public enum PushProtocol
{
    /// <summary>The text <c>json</c> hub protocol. Works with every transport.</summary>
    Json,

    /// <summary>
    /// The binary <c>messagepack</c> hub protocol: smaller frames, but it cannot use the
    /// Server-Sent Events transport.
    /// </summary>
    MessagePack,
}
