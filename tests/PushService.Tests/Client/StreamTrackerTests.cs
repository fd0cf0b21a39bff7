using System.Reflection;
using System.Runtime.ExceptionServices;
using PushService.Client;

namespace PushService.Tests.Client;

/// <summary>
/// The SDK's per-stream state machine against the client rules of docs/PROTOCOL.md §2: each
/// notification handed on exactly once, in offset order, across overtaking pushes, overlapping
/// replays, reconnects and epoch changes.
/// </summary>
public sealed class StreamTrackerTests
{
    private const string S = "topic:news";
    private const string E1 = "e1";
    private const string E2 = "e2";

    [Fact]
    public void DeliversInOffsetOrder()
    {
        var tracker = new Tracker();
        tracker.Start(S, 0);

        tracker.Live(N(1), N(2), N(3));

        Assert.Equal(["at topic:news 0@e1", "deliver 1", "deliver 2", "deliver 3"], tracker.Log);
    }

    [Fact]
    public void DuplicatesAreDropped()
    {
        var tracker = new Tracker();
        tracker.Start(S, 0);

        tracker.Live(N(1), N(1), N(2), N(1), N(2));

        Assert.Equal(["deliver 1", "deliver 2"], tracker.Deliveries);
    }

    [Fact]
    public void OutOfOrderLiveIsHeldBackAndTheGapFetched()
    {
        var tracker = new Tracker();
        tracker.Start(S, 0);

        tracker.Live(N(1), N(3));
        Assert.Equal(["deliver 1"], tracker.Deliveries);
        var fetch = Assert.Single(tracker.Fetches);
        Assert.Equal((S, new StreamPosition(1, E1)), (fetch.Stream, fetch.From));

        tracker.Answer(fetch.Request, S, recovered: true, 3, E1, N(2, "replay"), N(3, "replay"));
        tracker.Live(N(2));

        Assert.Equal(["deliver 1", "deliver 2 replay", "deliver 3 replay"], tracker.Deliveries);
    }

    [Fact]
    public void ALiveNotificationThatFillsTheGapFirstMakesTheLateAnswerAllDuplicates()
    {
        var tracker = new Tracker();
        tracker.Start(S, 0);
        tracker.Live(N(1), N(3));
        var fetch = Assert.Single(tracker.Fetches);

        tracker.Live(N(2));
        tracker.Answer(fetch.Request, S, recovered: true, 3, E1, N(2, "replay"), N(3, "replay"));

        Assert.Equal(["deliver 1", "deliver 2", "deliver 3"], tracker.Deliveries);
        Assert.Single(tracker.Fetches);
    }

    [Fact]
    public void AReplayOverlappingLiveNotificationsDeliversEachOnce()
    {
        var tracker = new Tracker();
        tracker.Start(S, 0);
        tracker.Live(N(1), N(2));

        // Reconnect: live 4 and 5 arrive before the Resume answer, which covers 3 and 4.
        tracker.NewConnection();
        var resume = tracker.Request(S);
        tracker.Live(N(4), N(5));
        Assert.Equal(["deliver 1", "deliver 2"], tracker.Deliveries);
        tracker.Answer(resume, S, recovered: true, 4, E1, N(3, "replay"), N(4, "replay"));
        tracker.Live(N(4), N(5), N(6));

        Assert.Equal(["deliver 1", "deliver 2", "deliver 3 replay", "deliver 4 replay", "deliver 5", "deliver 6"], tracker.Deliveries);
        Assert.Empty(tracker.Fetches);
    }

    [Fact]
    public void LiveNotificationsBeforeTheFirstAnswerAreBufferedThenTrimmedToTheStart()
    {
        var tracker = new Tracker();
        var subscribe = tracker.Request(S);

        tracker.Live(N(7), N(8), N(9));
        Assert.Empty(tracker.Deliveries);
        tracker.Answer(subscribe, S, recovered: true, 7, E1); // Subscribe's position: 7 is before the start.

        Assert.Equal(["at topic:news 7@e1", "deliver 8", "deliver 9"], tracker.Log);
    }

    [Fact]
    public void RecoveredFalseTellsTheAppAndContinuesFromTheReturnedPosition()
    {
        var tracker = new Tracker();
        tracker.Start(S, 0);
        tracker.Live(N(1));

        tracker.NewConnection();
        var resume = tracker.Request(S);
        tracker.Live(N(20), N(21));
        tracker.Answer(resume, S, recovered: false, 20, E1);

        Assert.Equal(["deliver 1", "failed topic:news GapBeyondRetention 20@e1", "deliver 21"], tracker.Log.Skip(1));
        Assert.Empty(tracker.Fetches);
    }

    [Fact]
    public void RecoveredFalseInANewEpochDropsWhatWasBufferedInTheOldOne()
    {
        var tracker = new Tracker();
        tracker.Start(S, 5);

        tracker.NewConnection();
        var resume = tracker.Request(S);
        tracker.Live(N(6)); // Pushed in e1 just before the history was lost.
        tracker.Answer(resume, S, recovered: false, 2, E2);
        tracker.Live(N(3, epoch: E2), N(6));

        Assert.Equal(["failed topic:news EpochChanged 2@e2", "deliver 3"], tracker.Log.Skip(1));
    }

    [Fact]
    public void AnEpochChangeOnALiveNotificationRestartsAtZeroAndFetchesWhatPrecedesIt()
    {
        var tracker = new Tracker();
        tracker.Start(S, 0);
        tracker.Live(N(1), N(2));

        tracker.Live(N(3, epoch: E2));
        var fetch = Assert.Single(tracker.Fetches);
        Assert.Equal(new StreamPosition(0, E2), fetch.From);
        tracker.Answer(fetch.Request, S, recovered: true, 3, E2, N(1, "replay", E2), N(2, "replay", E2), N(3, "replay", E2));
        tracker.Live(N(3, epoch: E1), N(4, epoch: E2)); // A late one of the old epoch is dropped.

        Assert.Equal(
            ["deliver 1", "deliver 2", "failed topic:news EpochChanged 0@e2", "deliver 1 replay", "deliver 2 replay", "deliver 3 replay", "deliver 4"],
            tracker.Log.Skip(1));
    }

    [Fact]
    public void AnAnswerAboutTheOldEpochIsIgnoredAfterALiveEpochChange()
    {
        var tracker = new Tracker();
        tracker.Start(S, 0);
        tracker.Live(N(2));
        var oldFetch = Assert.Single(tracker.Fetches);

        tracker.Live(N(1, epoch: E2));
        tracker.Answer(oldFetch.Request, S, recovered: false, 1, E2);

        Assert.Equal(["failed topic:news EpochChanged 0@e2", "deliver 1"], tracker.Log.Skip(1));
    }

    [Fact]
    public void PendingIsBoundedAndWhatItDroppedIsFetched()
    {
        var tracker = new Tracker(pendingCapacity: 3);
        tracker.Start(S, 0);
        tracker.Live(N(2));
        var first = Assert.Single(tracker.Fetches);

        tracker.Live(N(3), N(4), N(5), N(6)); // Only 2, 3 and 4 fit.
        tracker.Answer(first.Request, S, recovered: true, 2, E1, N(1, "replay"), N(2, "replay"));
        var second = tracker.Fetches[1];
        Assert.Equal(new StreamPosition(4, E1), second.From);
        tracker.Answer(second.Request, S, recovered: true, 6, E1, N(5, "replay"), N(6, "replay"));

        Assert.Equal(["deliver 1 replay", "deliver 2 replay", "deliver 3", "deliver 4", "deliver 5 replay", "deliver 6 replay"], tracker.Deliveries);
    }

    [Fact]
    public void AGapTheServiceCannotFillIsReportedAndSkipped()
    {
        var tracker = new Tracker();
        tracker.Start(S, 0);
        tracker.Live(N(3));
        var fetch = Assert.Single(tracker.Fetches);

        // Asked after 3 had arrived, the service has nothing after 0: 1 and 2 are gone.
        tracker.Answer(fetch.Request, S, recovered: true, 3, E1);

        Assert.Equal(["failed topic:news GapBeyondRetention 2@e1", "deliver 3"], tracker.Log.Skip(1));
        Assert.Single(tracker.Fetches);
    }

    [Fact]
    public void AnswersToRequestsOfAnEarlierConnectionAreIgnored()
    {
        var tracker = new Tracker();
        tracker.Start(S, 0);
        tracker.Live(N(2));
        var fetch = Assert.Single(tracker.Fetches);

        tracker.NewConnection();
        tracker.Answer(fetch.Request, S, recovered: true, 2, E1, N(1, "replay"), N(2, "replay"));
        Assert.Empty(tracker.Deliveries);
        var resume = tracker.Request(S);
        tracker.Answer(resume, S, recovered: true, 2, E1, N(1, "replay"), N(2, "replay"));

        Assert.Equal(["deliver 1 replay", "deliver 2 replay"], tracker.Deliveries);
    }

    [Fact]
    public void TheUserStreamAndBroadcastAreAdoptedUnaskedButUnknownTopicsAreNot()
    {
        var tracker = new Tracker();
        var resume = tracker.Request("broadcast");
        tracker.Live(N(5, stream: "user:alice"), N(1, stream: "topic:other"));

        tracker.SetUser("alice");
        tracker.Answer(resume, "user:alice", recovered: true, 4, E1); // Not asked about: its current position.
        tracker.Answer(resume, "broadcast", recovered: true, 0, E1);

        Assert.Equal(["at user:alice 4@e1", "deliver 5", "at broadcast 0@e1"], tracker.Log);
        Assert.Equal("user:alice", tracker.UserStream);
    }

    [Fact]
    public void SavedPositionsAreResumedFromAndPositionsFollowAcknowledgements()
    {
        var tracker = new Tracker(seeds: new() { [S] = new(10, E1), ["user:alice"] = new(3, E1) });
        Assert.Equal("user:alice", tracker.UserStream);

        var resume = tracker.Request(S);
        Assert.Equal(new StreamPosition(10, E1), tracker.LastFrom);
        tracker.Answer(resume, S, recovered: true, 11, E1, N(11, "replay"));
        Assert.Equal(new StreamPosition(10, E1), tracker.Positions[S]); // Not handed yet.
        tracker.Acknowledge(S, new(11, E1));

        Assert.Equal(new StreamPosition(11, E1), tracker.Positions[S]);
        Assert.Equal(new StreamPosition(3, E1), tracker.Positions["user:alice"]);
        tracker.Forget(S);
        tracker.SetUser("bob");
        Assert.Empty(tracker.Positions);
    }

    private static Notification N(long offset, string source = "", string epoch = E1, string stream = S) => new()
    {
        Id = $"{stream}/{epoch}/{offset}",
        Type = source,
        Stream = stream,
        Offset = offset,
        Epoch = epoch,
    };

    /// <summary>
    /// Drives the SDK's internal StreamTracker through reflection: the SDK cannot grant this assembly
    /// InternalsVisibleTo, because it and the service both compile src/Shared, so every shared wire
    /// type would become ambiguous here (CS0433). The tracker's members use only public types.
    /// </summary>
    private sealed class Tracker
    {
        private static readonly Type s_type = typeof(PushClient).Assembly.GetType("PushService.Client.Internal.StreamTracker", throwOnError: true)!;
        private readonly object _tracker;

        public Tracker(int pendingCapacity = 100, Dictionary<string, StreamPosition>? seeds = null)
        {
            Action<Notification> deliver = n => Log.Add($"deliver {n.Offset}{(n.Type.Length > 0 ? " " + n.Type : "")}");
            Action<string, StreamPosition, RecoveryFailureReason?> moved = (stream, position, reason) =>
                Log.Add(reason is null ? $"at {stream} {position.Offset}@{position.Epoch}" : $"failed {stream} {reason} {position.Offset}@{position.Epoch}");
            Action<string, long, StreamPosition> fetch = (stream, request, from) => Fetches.Add((stream, request, from));
            _tracker = Activator.CreateInstance(s_type, [pendingCapacity, seeds, deliver, moved, fetch])!;
        }

        public List<string> Log { get; } = [];

        public List<string> Deliveries => [.. Log.Where(entry => entry.StartsWith("deliver", StringComparison.Ordinal))];

        public List<(string Stream, long Request, StreamPosition From)> Fetches { get; } = [];

        public StreamPosition LastFrom { get; private set; }

        public string? UserStream => (string?)s_type.GetProperty("UserStream")!.GetValue(_tracker);

        public IReadOnlyDictionary<string, StreamPosition> Positions => (IReadOnlyDictionary<string, StreamPosition>)s_type.GetProperty("Positions")!.GetValue(_tracker)!;

        public void Live(params Notification[] notifications)
        {
            foreach (var notification in notifications)
            {
                Call("Live", notification);
            }
        }

        /// <summary>A Subscribe/Resume request about these streams, as the client sends it.</summary>
        public long Request(params string[] streams)
        {
            var request = (long)Call("BeginRequest")!;
            foreach (var stream in streams)
            {
                LastFrom = (StreamPosition)Call("AddToRequest", request, stream)!;
            }
            return request;
        }

        public void Answer(long request, string stream, bool recovered, long offset, string epoch, params Notification[] notifications)
            => Call("Apply", request, stream, recovered, offset, epoch, notifications);

        /// <summary>Subscribes from "no position": the service answers the stream's current position.</summary>
        public void Start(string stream, long offset, string epoch = E1) => Answer(Request(stream), stream, recovered: true, offset, epoch);

        public void NewConnection() => Call("NewConnection");

        public void SetUser(string user) => Call("SetUser", user);

        public void Forget(string stream) => Call("Forget", stream);

        public void Acknowledge(string stream, StreamPosition position) => Call("Acknowledge", stream, position);

        private object? Call(string method, params object?[] arguments)
        {
            try
            {
                return s_type.GetMethod(method, BindingFlags.Public | BindingFlags.Instance)!.Invoke(_tracker, arguments);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }
        }
    }
}
