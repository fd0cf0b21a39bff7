namespace PushService.Delivery;

/// <summary>
/// A token bucket refilled lazily from the clock on each take: no timer per connection, which
/// the framework's <c>TokenBucketRateLimiter</c> would start (or need replenishing from outside).
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _capacity;
    private readonly double _perSecond;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private double _tokens;
    private DateTimeOffset _refilled;

    public TokenBucket(double capacity, double perSecond, TimeProvider time)
    {
        _capacity = capacity;
        _perSecond = perSecond;
        _time = time;
        _tokens = capacity;
        _refilled = time.GetUtcNow();
    }

    public bool TryTake()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            // A clock that stepped back refills nothing.
            var elapsed = Math.Max(0, (now - _refilled).TotalSeconds);
            _tokens = Math.Min(_capacity, _tokens + elapsed * _perSecond);
            _refilled = now;
            if (_tokens < 1)
            {
                return false;
            }
            _tokens -= 1;
            return true;
        }
    }
}
