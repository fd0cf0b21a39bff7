using Microsoft.Extensions.Options;
using PushService.Delivery;
using PushService.Diagnostics;
using PushService.Protocol;
using PushService.Publishing;

namespace PushService.History;

/// <summary>Reads streams back in wire form, for Resume, History and the REST history endpoint.</summary>
internal sealed class HistoryReader(IHistoryStore history, PushMetrics metrics, IOptions<HistoryOptions> options)
{
    public const int MaxPageSize = 100;

    /// <summary>Everything after the position, or an honest "not recovered" with the current position.</summary>
    public async Task<StreamRecoveryMessage> RecoverAsync(Target target, long offset, string epoch, CancellationToken cancellationToken = default)
    {
        if (epoch.Length == 0)
        {
            // No position yet: the client starts from now.
            var current = await history.GetPositionAsync(target.Stream, cancellationToken).ConfigureAwait(false);
            return Recovery(target, recovered: true, current, []);
        }
        // A gap larger than the stream can hold cannot be recovered, so Size entries suffice. Nodes
        // sharing Redis may keep more (a Size being rolled out): a longer gap is "not recovered".
        var result = await history.ReadSinceAsync(target.Stream, new StreamPosition(offset, epoch), options.Value.Size, cancellationToken).ConfigureAwait(false);
        if (result.Recovered)
        {
            metrics.Replayed(result.Entries.Count);
        }
        return Recovery(target, result.Recovered, result.Current, result.Entries);
    }

    public async Task<HistoryPageMessage> PageAsync(Target target, long? before, int limit, CancellationToken cancellationToken = default)
    {
        var page = await history.ReadBeforeAsync(target.Stream, before, limit, cancellationToken).ConfigureAwait(false);
        return new HistoryPageMessage
        {
            Stream = target.Stream,
            Offset = page.Current.Offset,
            Epoch = page.Current.Epoch,
            Notifications = Messages(target, page.Entries, page.Current.Epoch),
        };
    }

    private static StreamRecoveryMessage Recovery(Target target, bool recovered, StreamPosition current, IReadOnlyList<StreamEntry> entries) => new()
    {
        Stream = target.Stream,
        Recovered = recovered,
        Offset = current.Offset,
        Epoch = current.Epoch,
        Notifications = recovered ? Messages(target, entries, current.Epoch) : [],
    };

    private static NotificationMessage[] Messages(Target target, IReadOnlyList<StreamEntry> entries, string epoch)
        => [.. entries.Select(e => Publisher.Message(e.Entry, target, new StreamPosition(e.Offset, epoch)))];
}
