using PushService.History;

namespace PushService.Tests.History;

public sealed class HistoryOptionsValidatorTests
{
    [Fact]
    public void TheDefaultsAreValid()
        => Assert.True(new HistoryOptionsValidator().Validate(null, new HistoryOptions()).Succeeded);

    [Theory]
    [InlineData(0, "Push:History:Size must be between 1 and 100000 (got 0).")]
    [InlineData(-5, "Push:History:Size must be between 1 and 100000 (got -5).")]
    [InlineData(100_001, "Push:History:Size must be between 1 and 100000 (got 100001).")]
    public void SizeMustBeInRange(int size, string message)
        => Assert.Equal([message], Failures(new HistoryOptions { Size = size }));

    [Fact]
    public void SizeLimitsAreAllowed()
    {
        Assert.Empty(Failures(new HistoryOptions { Size = 1 }));
        Assert.Empty(Failures(new HistoryOptions { Size = 100_000 }));
    }

    [Fact]
    public void TtlMustBePositive()
        => Assert.Equal(["Push:History:Ttl must be greater than 0 (got 00:00:00)."], Failures(new HistoryOptions { Ttl = TimeSpan.Zero }));

    [Fact]
    public void MetaTtlMustBeAtLeastTtl()
    {
        Assert.Equal(
            ["Push:History:MetaTtl (01:00:00) must be at least Push:History:Ttl (02:00:00)."],
            Failures(new HistoryOptions { Ttl = TimeSpan.FromHours(2), MetaTtl = TimeSpan.FromHours(1) }));
        Assert.Empty(Failures(new HistoryOptions { Ttl = TimeSpan.FromHours(2), MetaTtl = TimeSpan.FromHours(2) }));
    }

    [Fact]
    public void IdempotencyWindowMustBePositive()
        => Assert.Equal(
            ["Push:History:IdempotencyWindow must be greater than 0 (got -00:00:01)."],
            Failures(new HistoryOptions { IdempotencyWindow = TimeSpan.FromSeconds(-1) }));

    [Fact]
    public void EveryFailureIsReported()
        => Assert.Equal(4, Failures(new HistoryOptions { Size = 0, Ttl = TimeSpan.FromHours(-1), MetaTtl = TimeSpan.FromHours(-2), IdempotencyWindow = TimeSpan.Zero }).Count);

    private static List<string> Failures(HistoryOptions options)
        => new HistoryOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];
}
