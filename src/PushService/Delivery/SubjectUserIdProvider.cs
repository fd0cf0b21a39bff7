using Microsoft.AspNetCore.SignalR;
using PushService.Auth;

namespace PushService.Delivery;

/// <summary>Every connection of a user shares the token's <c>sub</c>, so user sends reach all of them.</summary>
internal sealed class SubjectUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => connection.User.FindFirst(AuthPolicies.SubjectClaim)?.Value;
}
