namespace PushService.Client;

/// <summary>The state of a <see cref="PushClient"/>'s connection to the service.</summary>
public enum PushConnectionState
{
    /// <summary>Not connected: not started yet, stopped, or closed after reconnecting gave up.</summary>
    Disconnected,

    /// <summary><see cref="PushClient.StartAsync"/> is establishing the first connection.</summary>
    Connecting,

    /// <summary>Connected; notifications are being received.</summary>
    Connected,

    /// <summary>The connection was lost and the client is reconnecting automatically.</summary>
    Reconnecting,
}
