using Microsoft.AspNetCore.SignalR;
using PushService.History;
using PushService.Protocol;

namespace PushService.Delivery;

/// <summary>
/// The closed set of errors a hub client can receive; the code before the colon tells the
/// client what to do (docs/PROTOCOL.md §2). The connection stays open after each, except where
/// a limit closes it (too many connections, sustained rate-limit abuse).
/// </summary>
internal static class HubErrors
{
    public const string InvalidTopicCode = HubErrorCodes.InvalidTopic;
    public const string ForbiddenCode = HubErrorCodes.Forbidden;
    public const string LimitExceededCode = HubErrorCodes.LimitExceeded;
    public const string InvalidStreamCode = HubErrorCodes.InvalidStream;
    public const string UnavailableCode = HubErrorCodes.Unavailable;
    public const string RateLimitedCode = HubErrorCodes.RateLimited;

    public static HubException InvalidTopic() =>
        new($"{InvalidTopicCode}: A topic name must be {NameRules.TopicRule}.");

    public static HubException Forbidden(string topic) =>
        new($"{ForbiddenCode}: Your token does not allow subscribing to topic '{topic}'.");

    public static HubException TooManySubscriptions(int limit) =>
        new($"{LimitExceededCode}: A connection may subscribe to at most {limit} topics; unsubscribe from one first.");

    public static HubException TooManyConnections(int limit) =>
        new($"{LimitExceededCode}: This user already has {limit} connections, the most allowed; close one first.");

    public static HubException RateLimited(double perSecond, bool closing) =>
        new($"{RateLimitedCode}: Too many calls on this connection (at most {perSecond:0.##} per second); " +
            (closing ? "the connection is being closed." : "slow down and retry shortly."));

    public static HubException InvalidStream(string why) =>
        new($"{InvalidStreamCode}: {why}.");

    public static HubException ForbiddenStream(string stream) =>
        new($"{ForbiddenCode}: Your token does not allow reading stream '{stream}'.");

    /// <summary>The code at the start of one of our hub errors.</summary>
    public static string CodeOf(HubException error)
    {
        var colon = error.Message.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? error.Message[..colon] : error.Message;
    }

    /// <summary>Turns "the history store is down" into a hub error the client may retry.</summary>
    public static async Task<T> GuardAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            throw new HubException($"{UnavailableCode}: Stream history cannot be read right now; try again shortly.");
        }
    }
}
