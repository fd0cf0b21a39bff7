namespace PushService.Presence;

/// <summary>The <c>Push:Presence</c> section.</summary>
public sealed class PresenceOptions
{
    public const string SectionName = "Push:Presence";

    /// <summary>
    /// How long a connection counts as present without its node renewing it; nodes renew every
    /// third of it. After a node crash its users go offline within this time. Default 30 s.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);
}
