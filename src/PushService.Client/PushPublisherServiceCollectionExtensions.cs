using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PushService.Client;
using PushService.Client.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="PushPublisher"/> with dependency injection.</summary>
public static class PushPublisherServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PushPublisher"/> as a typed <see cref="HttpClient"/> client, configured
    /// by <paramref name="configure"/>. The options are validated when the publisher is first
    /// created, and at host start.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the <see cref="PushPublisherOptions"/>.</param>
    /// <returns>The builder of the publisher's <see cref="HttpClient"/>, to add handlers or resilience.</returns>
    public static IHttpClientBuilder AddPushPublisher(this IServiceCollection services, Action<PushPublisherOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<PushPublisherOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PushPublisherOptions>, PushPublisherOptionsValidator>());
        return services.AddHttpClient<PushPublisher>();
    }
}
