using PushService.Protocol;

namespace PushService.Tests.Unit;

/// <summary>Generated notification ids are UUIDv7 that sort in the order they were made, also within one millisecond.</summary>
public sealed class SortableIdTests
{
    [Fact]
    public void IdsMadeBackToBackSortInOrderAndAreVersion7()
    {
        // 10,000 in a loop: thousands share a millisecond, where Guid.CreateVersion7 orders at random.
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var ids = Enumerable.Range(0, 10_000).Select(_ => SortableId.Next()).ToList();

        for (var i = 1; i < ids.Count; i++)
        {
            Assert.True(string.CompareOrdinal(ids[i - 1], ids[i]) < 0, $"{ids[i - 1]} should sort before {ids[i]}");
        }
        foreach (var id in ids)
        {
            var guid = Guid.Parse(id);
            Assert.Equal(7, guid.Version);
            Assert.Equal(0b10, guid.Variant >> 2);
        }
        // The first 48 bits are the Unix milliseconds: the clock's, or a few ms ahead where bursts
        // (here and in tests running alongside) used up 4,096 ids of a millisecond.
        var millis = Convert.ToInt64(ids[0].Replace("-", "", StringComparison.Ordinal)[..12], 16);
        Assert.InRange(millis, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);
    }

    [Fact]
    public async Task IdsMadeOnManyThreadsAreDistinct()
    {
        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Enumerable.Range(0, 5_000).Select(_ => SortableId.Next()).ToList())));

        var all = batches.SelectMany(b => b).ToList();
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
        Assert.All(batches, b => Assert.Equal(b.Order(StringComparer.Ordinal), b));
    }
}
