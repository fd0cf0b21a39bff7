using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using PushService.Redis;
using StackExchange.Redis;

namespace PushService.History;

/// <summary>
/// The history engine for several nodes. Per stream: a Redis Stream log with ids
/// <c>{offset}-0</c> trimmed to exactly <c>Size</c>, a meta hash with the epoch and last offset,
/// and one key per accepted id for the idempotency window. Each operation is one Lua script
/// (<see cref="RedisHistoryScripts"/>), so offsets and duplicate checks are atomic across nodes.
/// </summary>
/// <remarks>
/// Appends issued one after another from one caller reach Redis, and get offsets, in that order:
/// each script is written on the shared multiplexer before <see cref="AppendAsync"/> first yields
/// (once connected). Expiry is Redis's: the log lives <c>Ttl</c> and the meta <c>MetaTtl</c>
/// after the last append, an id its window; a flushed or restarted Redis starts a new epoch.
/// </remarks>
internal sealed class RedisHistoryStore(RedisConnection redis, IOptions<HistoryOptions> options, TimeProvider time, ILogger<RedisHistoryStore> logger)
    : IHistoryStore
{
    // Server replies that mean "not now" rather than "wrong": loading after a restart, a busy
    // script, a replica or cluster in transition, out of memory.
    private static readonly string[] TransientErrors = ["LOADING", "BUSY", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS", "OOM"];

    private readonly RedisKeys _keys = new(redis.Prefix);
    private readonly HistoryOptions _options = options.Value;
    private int _unavailable;

    public Task<AppendResult> AppendAsync(string stream, HistoryEntry entry, CancellationToken cancellationToken = default)
        => AppendAsync(stream, entry, push: null, cancellationToken);

    public async Task<AppendResult> AppendAsync(string stream, HistoryEntry entry, LivePush? push, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentNullException.ThrowIfNull(entry);
        var payload = JsonSerializer.SerializeToUtf8Bytes(HistoryRules.Normalized(entry), HistoryJsonContext.Default.HistoryEntry);
        RedisValue[] args = [HistoryRules.NewEpoch(), Milliseconds(_options.MetaTtl), payload, _options.Size, Milliseconds(_options.Ttl), Milliseconds(_options.IdempotencyWindow), entry.CreatedAt.ToBinary()];
        if (push is not null)
        {
            // PUBLISH takes no key: on Redis Cluster the script still runs on the stream's one slot.
            args = [.. args, push.Channel, push.Template];
        }
        var reply = await EvaluateAsync(
            stream,
            RedisHistoryScripts.Append,
            [_keys.StreamMeta(stream), _keys.StreamLog(stream), _keys.Idempotency(stream, entry.Id)],
            args,
            cancellationToken).ConfigureAwait(false);
        var pushed = push is not null;
        if ((long)reply[0] == 0)
        {
            return new AppendResult(new StreamPosition((long)reply[1], (string)reply[2]!), entry.CreatedAt, Duplicate: false, pushed);
        }
        // "offset:createdAt:epoch", createdAt as DateTime.ToBinary (ticks and kind); an epoch never contains ':'.
        var prior = ((string)reply[1]!).Split(':');
        var position = new StreamPosition(long.Parse(prior[0], CultureInfo.InvariantCulture), prior[2]);
        var createdAt = DateTime.FromBinary(long.Parse(prior[1], CultureInfo.InvariantCulture));
        return new AppendResult(position, createdAt, Duplicate: true, pushed);
    }

    public async Task<StreamPosition> GetPositionAsync(string stream, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        var reply = await EvaluateAsync(stream, RedisHistoryScripts.GetPosition, StreamKeys(stream), [HistoryRules.NewEpoch(), Milliseconds(_options.MetaTtl)], cancellationToken).ConfigureAwait(false);
        return Position(reply);
    }

    public async Task<RecoveryResult> ReadSinceAsync(string stream, StreamPosition since, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        // A negative offset is answered "not recovered" like a foreign epoch; "" is never an epoch.
        var epoch = since.Offset < 0 ? "" : since.Epoch ?? "";
        var reply = await EvaluateAsync(
            stream,
            RedisHistoryScripts.ReadSince,
            StreamKeys(stream),
            [HistoryRules.NewEpoch(), Milliseconds(_options.MetaTtl), epoch, since.Offset, EntryId(since.Offset + 1), limit],
            cancellationToken).ConfigureAwait(false);
        var current = Position(reply);
        if (since.Epoch != current.Epoch || since.Offset < 0 || since.Offset > current.Offset)
        {
            return new RecoveryResult(false, current, []);
        }
        if (since.Offset == current.Offset)
        {
            return new RecoveryResult(true, current, []);
        }
        // Offsets have no gaps and the log is trimmed from its oldest end, so a run starting at
        // since+1 with the expected length is exactly what was missed.
        var entries = Entries(reply[2]);
        var now = time.GetUtcNow().UtcDateTime;
        var complete = entries.Count == current.Offset - since.Offset
            && entries[0].Offset == since.Offset + 1
            && !entries.Exists(e => HistoryRules.IsExpired(e.Entry, now, _options.Ttl));
        return new RecoveryResult(complete, current, complete ? entries : []);
    }

    public async Task<HistoryPage> ReadBeforeAsync(string stream, long? beforeOffset, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        // No entry has id 0-0, so "before 1" (or less) reads nothing.
        var newest = beforeOffset is { } before ? EntryId(before <= 1 ? 0 : before - 1) : "+";
        var reply = await EvaluateAsync(
            stream,
            RedisHistoryScripts.ReadBefore,
            StreamKeys(stream),
            [HistoryRules.NewEpoch(), Milliseconds(_options.MetaTtl), newest, limit],
            cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow().UtcDateTime;
        var entries = Entries(reply[2]);
        entries.RemoveAll(e => HistoryRules.IsExpired(e.Entry, now, _options.Ttl));
        return new HistoryPage(Position(reply), entries);
    }

    private async Task<RedisResult[]> EvaluateAsync(string stream, string script, RedisKey[] keys, RedisValue[] args, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RedisResult result;
        try
        {
            var connection = await redis.GetAsync(cancellationToken).ConfigureAwait(false);
            // SE.Redis cannot cancel a sent command; a cancelled caller just stops waiting.
            result = await connection.GetDatabase().ScriptEvaluateAsync(script, keys, args).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
        {
            if (Interlocked.Exchange(ref _unavailable, 1) == 0)
            {
                RedisLog.HistoryUnavailable(logger, ex);
            }
            throw new StoreUnavailableException($"The history of stream '{stream}' is unavailable: Redis did not answer.", ex);
        }
        if (Volatile.Read(ref _unavailable) == 1 && Interlocked.Exchange(ref _unavailable, 0) == 1)
        {
            RedisLog.HistoryAvailable(logger);
        }
        return (RedisResult[])result!;
    }

    // Everything but a script error means "not known to be stored": the publisher is told 503 and
    // retries with the same id, which is safe. Under a stall the client also surfaces cancelled
    // tasks and "reading is not allowed after reader was completed" from its pipe.
    private static bool IsUnavailable(Exception exception) => exception switch
    {
        RedisServerException server => Array.Exists(TransientErrors, code => server.Message.StartsWith(code, StringComparison.Ordinal)),
        RedisException or TimeoutException or OperationCanceledException or InvalidOperationException or ObjectDisposedException or IOException => true,
        _ => false,
    };

    private RedisKey[] StreamKeys(string stream) => [_keys.StreamMeta(stream), _keys.StreamLog(stream)];

    private static StreamPosition Position(RedisResult[] reply) => new((long)reply[1], (string)reply[0]!);

    private static string EntryId(long offset) => offset.ToString(CultureInfo.InvariantCulture) + "-0";

    // PEXPIRE 0 would delete the key at once.
    private static long Milliseconds(TimeSpan span) => Math.Max(1, (long)span.TotalMilliseconds);

    private static List<StreamEntry> Entries(RedisResult log)
    {
        var items = (RedisResult[])log!;
        var entries = new List<StreamEntry>(items.Length);
        foreach (var item in items)
        {
            // [id, [field, value]]: the one field "n" holds the entry as JSON.
            var pair = (RedisResult[])item!;
            var id = (string)pair[0]!;
            var payload = (byte[])((RedisResult[])pair[1]!)[1]!;
            var entry = JsonSerializer.Deserialize(payload, HistoryJsonContext.Default.HistoryEntry)
                ?? throw new InvalidDataException($"History entry {id} is empty.");
            entries.Add(new StreamEntry(long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture), entry));
        }
        return entries;
    }
}

/// <summary>How an entry is stored in the log: <c>{"id","type","data","createdAt"}</c>, data kept as sent.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(HistoryEntry))]
internal sealed partial class HistoryJsonContext : JsonSerializerContext;
