using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using PushService.Auth;

namespace PushService.Delivery;

/// <summary>The user a connection belongs to: its token's <c>sub</c>.</summary>
internal static class Subject
{
    public static string? Of(ClaimsPrincipal? principal) => principal?.FindFirst(AuthPolicies.SubjectClaim)?.Value;
}

/// <summary>
/// Tells SignalR no connection has a user. PushService delivers users' notifications itself
/// (Fanout/); a user id here would only make SignalR's Redis backplane subscribe a channel of its
/// own for every user as well — a second queue per connection, never used.
/// </summary>
internal sealed class NoSignalRUsers : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => null;
}
