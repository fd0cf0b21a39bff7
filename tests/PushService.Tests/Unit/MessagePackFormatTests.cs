using System.Text.Json;
using MessagePack;
using Microsoft.AspNetCore.SignalR.Protocol;
using PushService.Protocol;

namespace PushService.Tests.Unit;

/// <summary>The binary protocol's form of a notification: plain maps other languages can read.</summary>
public sealed class MessagePackFormatTests
{
    private static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard;

    [Fact]
    public void NotificationIsAMapWithTheDocumentedKeysAndNoUnsetOnes()
    {
        var message = new NotificationMessage
        {
            Id = "n1",
            Type = "t",
            Data = JsonDocument.Parse("""{"a":[1,2.5,"x",null,true]}""").RootElement,
            CreatedAt = new DateTime(2026, 11, 22, 17, 0, 0, DateTimeKind.Utc),
            Topic = "news",
            Stream = "topic:news",
            Offset = 7,
            Epoch = "e1",
        };

        var bytes = MessagePackSerializer.Serialize(message, Options);

        // Read back without our formatter, as any MessagePack library would.
        var plain = (Dictionary<object, object?>)MessagePackSerializer.Deserialize<object>(bytes, MessagePack.Resolvers.ContractlessStandardResolver.Options)!;
        Assert.Equal(["createdAt", "data", "epoch", "id", "offset", "stream", "topic", "type"], plain.Keys.Cast<string>().Order());
        Assert.Equal("news", plain["topic"]);
        Assert.Equal((byte)7, plain["offset"]);
        Assert.Equal(message.CreatedAt, plain["createdAt"]);
        var data = (Dictionary<object, object?>)plain["data"]!;
        Assert.Equal(new object?[] { (byte)1, 2.5, "x", null, true }, (object?[])data["a"]!);
    }

    [Fact]
    public void NotificationRoundTripsAndSkipsUnknownKeys()
    {
        var withExtra = new Dictionary<string, object?>
        {
            ["id"] = "n1", ["type"] = "t", ["data"] = new Dictionary<string, object?> { ["k"] = -5L },
            ["createdAt"] = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), ["user"] = "alice",
            ["offset"] = 42L, ["epoch"] = "e1", ["later"] = new[] { 1, 2 },
        };
        var bytes = MessagePackSerializer.Serialize(withExtra, MessagePack.Resolvers.ContractlessStandardResolver.Options);

        var message = MessagePackSerializer.Deserialize<NotificationMessage>(bytes, Options)!;

        Assert.Equal("alice", message.User);
        Assert.Equal((42L, "e1"), (message.Offset, message.Epoch));
        Assert.Null(message.Topic);
        Assert.Equal(-5, message.Data.GetProperty("k").GetInt32());
    }

    [Fact]
    public void SignalRsMessagePackProtocolUsesOurFormatter()
    {
        var protocol = new MessagePackHubProtocol();
        var message = new NotificationMessage { Id = "n1", Type = "t", Data = JsonDocument.Parse("[1]").RootElement, CreatedAt = DateTime.UtcNow, Broadcast = true };

        var bytes = protocol.GetMessageBytes(new InvocationMessage("notification", [message]));

        Assert.True(bytes.Length > 0);
    }
}
