using Microsoft.AspNetCore.SignalR;

namespace PushService.Client;

/// <summary>
/// The service refused a request made over the connection, with a <see cref="Code"/> that tells
/// whether retrying can help. The connection stays open.
/// </summary>
public class PushHubException : Exception
{
    // The service puts "code: sentence" in a HubException; SignalR servers prefix it with
    // "An unexpected error occurred invoking 'Subscribe' on the server. HubException: ".
    private const string HubExceptionMarker = "Exception: ";
    private const int MaxCodeLength = 64;

    /// <summary>Initializes a new instance of the <see cref="PushHubException"/> class.</summary>
    /// <param name="code">The error code; see <see cref="PushSubscriptionErrorCodes"/>.</param>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The error the connection reported, if any.</param>
    public PushHubException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
    }

    /// <summary>
    /// Gets the error code: one of <see cref="PushSubscriptionErrorCodes"/>, or a code a later
    /// service version added. <see cref="PushSubscriptionErrorCodes.Unknown"/> when the error had none.
    /// </summary>
    public string Code { get; }

    internal static PushHubException ForMethod(string method, HubException exception)
    {
        var (code, reason) = Parse(exception.Message);
        return new PushHubException(code, $"The service refused {method} ({code}): {reason}", exception);
    }

    /// <summary>Splits a hub error into its code and the sentence for people.</summary>
    internal static (string Code, string Reason) Parse(string? message)
    {
        message ??= string.Empty;
        var marker = message.IndexOf(HubExceptionMarker, StringComparison.Ordinal);
        var text = marker >= 0 ? message[(marker + HubExceptionMarker.Length)..] : message;
        var separator = text.IndexOf(": ", StringComparison.Ordinal);
        if (separator > 0 && separator <= MaxCodeLength && IsCode(text.AsSpan(0, separator)))
        {
            return (text[..separator], text[(separator + 2)..]);
        }
        return (PushSubscriptionErrorCodes.Unknown, message);
    }

    private static bool IsCode(ReadOnlySpan<char> candidate)
    {
        foreach (var c in candidate)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                return false;
            }
        }
        return true;
    }
}
