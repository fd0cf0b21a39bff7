using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;

namespace PushService.Protocol;

/// <summary>
/// The MessagePack form of <see cref="NotificationMessage"/>: a map with the same keys as the
/// JSON form, unset keys left out, unknown keys skipped on read so that later fields
/// (stream, offset, epoch) do not break older clients. Written by hand because the dynamic
/// resolver only handles public types, and a hand-written formatter allocates nothing extra.
/// </summary>
internal sealed class NotificationMessageFormatter : IMessagePackFormatter<NotificationMessage?>
{
    private static readonly JsonElementMessagePackFormatter Data = new();

    public void Serialize(ref MessagePackWriter writer, NotificationMessage? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        var count = 4 + (value.User is null ? 0 : 1) + (value.Topic is null ? 0 : 1) + (value.Broadcast is null ? 0 : 1);
        writer.WriteMapHeader(count);
        writer.Write("id");
        writer.Write(value.Id);
        writer.Write("type");
        writer.Write(value.Type);
        writer.Write("data");
        Data.Serialize(ref writer, value.Data, options);
        writer.Write("createdAt");
        writer.Write(DateTime.SpecifyKind(value.CreatedAt, DateTimeKind.Utc));
        if (value.User is not null)
        {
            writer.Write("user");
            writer.Write(value.User);
        }
        if (value.Topic is not null)
        {
            writer.Write("topic");
            writer.Write(value.Topic);
        }
        if (value.Broadcast is { } broadcast)
        {
            writer.Write("broadcast");
            writer.Write(broadcast);
        }
    }

    public NotificationMessage? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        string? id = null, type = null, user = null, topic = null;
        bool? broadcast = null;
        JsonElement data = default;
        DateTime createdAt = default;
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "id": id = reader.ReadString(); break;
                case "type": type = reader.ReadString(); break;
                case "data": data = Data.Deserialize(ref reader, options); break;
                case "createdAt": createdAt = reader.ReadDateTime(); break;
                case "user": user = ReadOptionalString(ref reader); break;
                case "topic": topic = ReadOptionalString(ref reader); break;
                case "broadcast": broadcast = reader.TryReadNil() ? null : reader.ReadBoolean(); break;
                default: reader.Skip(); break;
            }
        }
        return new NotificationMessage
        {
            Id = id ?? throw new MessagePackSerializationException("A notification has no id."),
            Type = type ?? throw new MessagePackSerializationException("A notification has no type."),
            Data = data,
            CreatedAt = createdAt,
            User = user,
            Topic = topic,
            Broadcast = broadcast,
        };
    }

    private static string? ReadOptionalString(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadString();
}
