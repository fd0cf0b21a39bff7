using PushService.Client;

namespace PushService.Tests.Cluster;

/// <summary>The ledger must catch what the scenarios are about, or their passing means nothing.</summary>
public sealed class LedgerTests
{
    private readonly Ledger _ledger = new();

    public LedgerTests()
    {
        foreach (var id in (string[])["a", "b", "c"])
        {
            _ledger.Attempted(id, ["user:u", "topic:t"]);
            _ledger.Accepted(id);
        }
        _ledger.Attempted("in-doubt", ["user:u"]);
    }

    [Fact]
    public void EverythingOnceInOrderIsComplete()
    {
        var client = _ledger.Client("c1");
        Hand(client, "user:u", ("a", 1), ("b", 2), ("c", 3));
        Hand(client, "topic:t", ("a", 1), ("b", 2), ("c", 3));

        _ledger.AssertComplete("c1", ["user:u", "topic:t"]);
    }

    [Fact]
    public void AMissingNotificationIsNamed()
    {
        var client = _ledger.Client("c1");
        Hand(client, "user:u", ("a", 1), ("c", 3));

        var problems = _ledger.Check("c1", ["user:u"]);

        Assert.Contains("user:u: 1 of 3 accepted notifications missing: b", problems, StringComparison.Ordinal);
    }

    [Fact]
    public void ADuplicateIsNamed()
    {
        var client = _ledger.Client("c1");
        Hand(client, "user:u", ("a", 1), ("b", 2), ("b", 2), ("c", 3));

        Assert.Contains("b ×2", _ledger.Check("c1", ["user:u"]), StringComparison.Ordinal);
    }

    [Fact]
    public void OffsetsOutOfOrderAreNamed()
    {
        var client = _ledger.Client("c1");
        Hand(client, "user:u", ("a", 1), ("c", 3), ("b", 2));

        Assert.Contains("offsets not strictly increasing in delivery order: #2 b offset 2 after #1 c offset 3", _ledger.Check("c1", ["user:u"]), StringComparison.Ordinal);
    }

    [Fact]
    public void ANewEpochStartsItsOwnOrder()
    {
        var client = _ledger.Client("c1");
        Hand(client, "user:u", ("a", 1), ("b", 2));
        Hand(client, "user:u", "e2", ("c", 1));

        Assert.Equal("", _ledger.Check("c1", ["user:u"]));
    }

    [Fact]
    public void NeverPublishedOrOnAnotherStreamIsUnexpected()
    {
        var client = _ledger.Client("c1");
        Hand(client, "user:u", ("a", 1), ("b", 2), ("c", 3), ("ghost", 4));
        Hand(client, "topic:other", ("a", 1));

        var problems = _ledger.Check("c1", ["user:u"]);

        Assert.Contains("1 notifications that were never published to it: ghost", problems, StringComparison.Ordinal);
        Assert.Contains("a on topic:other", problems, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInDoubtPublishMayArriveOnceOrNot()
    {
        var client = _ledger.Client("c1");
        Hand(client, "user:u", ("a", 1), ("b", 2), ("in-doubt", 3), ("c", 4));

        Assert.Equal("", _ledger.Check("c1", ["user:u"]));
        Assert.Equal(["in-doubt"], _ledger.InDoubt);
    }

    [Fact]
    public void ClientsDisagreeingOnAnOffsetIsCaught()
    {
        Hand(_ledger.Client("c1"), "user:u", ("a", 1), ("b", 2), ("c", 3));
        Hand(_ledger.Client("c2"), "user:u", ("a", 1), ("b", 3), ("c", 4));

        Assert.Contains("clients disagree on offsets: b on user:u: offset 3 at c2, 2 at another client", _ledger.Check("c2", ["user:u"]), StringComparison.Ordinal);
    }

    [Fact]
    public void ARecoveryFailureFailsUnlessAllowed()
    {
        var client = _ledger.Client("c1");
        Hand(client, "user:u", ("a", 1), ("b", 2), ("c", 3));
        client.RecordRecoveryFailure(new RecoveryFailedEventArgs("user:u", RecoveryFailureReason.EpochChanged, new StreamPosition(0, "e2")));

        Assert.Contains("recovery failures reported to the app: user:u: EpochChanged", _ledger.Check("c1", ["user:u"]), StringComparison.Ordinal);
        Assert.Equal("", _ledger.Check("c1", ["user:u"], allowRecoveryFailures: true));
    }

    [Fact]
    public async Task WaitingCompletesWhenTheLastIdArrives()
    {
        var client = _ledger.Client("c1");
        Hand(client, "user:u", ("a", 1));
        var waiting = client.WaitForAsync("user:u", _ledger.AcceptedFor("user:u"));
        Hand(client, "user:u", ("b", 2));
        Assert.False(waiting.IsCompleted);

        Hand(client, "user:u", ("c", 3));

        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static void Hand(ClientLedger client, string stream, params (string Id, long Offset)[] notifications)
        => Hand(client, stream, "e1", notifications);

    private static void Hand(ClientLedger client, string stream, string epoch, params (string Id, long Offset)[] notifications)
    {
        foreach (var (id, offset) in notifications)
        {
            client.Record(new Notification { Id = id, Type = "t", Stream = stream, Offset = offset, Epoch = epoch });
        }
    }
}
