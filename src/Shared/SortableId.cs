using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PushService.Protocol;

/// <summary>
/// Notification ids: UUIDv7 whose text sorts in creation order within a process, also within one
/// millisecond, where <see cref="Guid.CreateVersion7()"/> orders at random. A 12-bit counter in
/// <c>rand_a</c> counts up within a millisecond and, past 4,096, borrows the next one
/// (RFC 9562 §6.2, method 1).
/// </summary>
internal static class SortableId
{
    // The last id's Unix milliseconds << 12 | counter.
    private static long s_last;

    public static string Next()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 12;
        long last, next;
        do
        {
            last = Volatile.Read(ref s_last);
            next = Math.Max(now, last + 1);
        }
        while (Interlocked.CompareExchange(ref s_last, next, last) != last);

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[8..]);
        // 48 bits of milliseconds, the version nibble and the counter, then the variant.
        BinaryPrimitives.WriteInt64BigEndian(bytes, (next >> 12) << 16 | 0x7000 | (next & 0xFFF));
        bytes[8] = (byte)(bytes[8] & 0x3F | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
