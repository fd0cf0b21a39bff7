using Microsoft.AspNetCore.SignalR;

namespace PushService.Client;

/// <summary>
/// The service refused to subscribe to or unsubscribe from a topic. The connection stays open.
/// </summary>
public sealed class PushSubscriptionException : PushHubException
{
    /// <summary>Initializes a new instance of the <see cref="PushSubscriptionException"/> class.</summary>
    /// <param name="topic">The topic that was refused.</param>
    /// <param name="code">The error code; see <see cref="PushSubscriptionErrorCodes"/>.</param>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The error the connection reported, if any.</param>
    public PushSubscriptionException(string topic, string code, string message, Exception? innerException = null)
        : base(code, message, innerException)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Topic = topic;
    }

    /// <summary>Gets the topic that was refused.</summary>
    public string Topic { get; }

    internal static PushSubscriptionException FromHubException(string topic, HubException exception)
    {
        var (code, reason) = Parse(exception.Message);
        return new PushSubscriptionException(topic, code, $"The service refused topic '{topic}' ({code}): {reason}", exception);
    }

    /// <summary>A topic refused inside a <c>Resume</c> answer, which carries the code alone.</summary>
    internal static PushSubscriptionException FromCode(string topic, string code)
    {
        code = code.Length == 0 ? PushSubscriptionErrorCodes.Unknown : code;
        return new PushSubscriptionException(topic, code, $"The service refused topic '{topic}' ({code}).");
    }
}
