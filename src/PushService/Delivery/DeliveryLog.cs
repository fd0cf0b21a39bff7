namespace PushService.Delivery;

/// <summary>Delivery log events, ids 1000–1099.</summary>
internal static partial class DeliveryLog
{
    [LoggerMessage(1000, LogLevel.Debug, "User {UserId} was refused topic {Topic}: not in the token's topics claim.")]
    public static partial void SubscriptionRefused(ILogger logger, string? userId, string topic);
}
