namespace PushService.History;

/// <summary>The <c>Push:History</c> section: how much of each stream is kept for resume and history.</summary>
public sealed class HistoryOptions
{
    public const string SectionName = "Push:History";

    /// <summary>Entries kept per stream (the oldest are trimmed). Default 1,000.</summary>
    public int Size { get; set; } = 1000;

    /// <summary>Entries older than this are not served. Default 24 h.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a stream's epoch and last offset outlive its last append. Past it the stream starts
    /// over with a new epoch. Default 7 days; must be at least <see cref="Ttl"/>.
    /// </summary>
    public TimeSpan MetaTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A publish repeating an accepted id within this window is not stored or delivered again. Default 24 h.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);
}
