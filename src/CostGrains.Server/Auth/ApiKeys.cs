using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;

namespace CostGrains.Server.Auth;

/// <summary>
/// Issues and resolves bearer keys. A key is 32 random bytes; only its SHA-256 is stored (as the
/// key grain's id), so a leaked database holds no usable key. Lookups are cached briefly per node.
/// </summary>
public sealed class ApiKeys(IGrainFactory grains, IMemoryCache cache, AdminKey adminKey)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    public static string NewSecret() => "cg_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public async Task<string> IssueAsync(string org, KeyRole role)
    {
        var secret = NewSecret();
        await grains.GetGrain<IApiKeyGrain>(Hash(secret)).Register(org, role);
        return secret;
    }

    /// <summary>The platform administrator (role null, org null), an org key, or null when unknown.</summary>
    public async Task<(bool Known, ApiKeyInfo? Key)> ResolveAsync(string secret)
    {
        if (adminKey.Matches(secret))
        {
            return (true, null);
        }

        var hash = Hash(secret);
        if (cache.TryGetValue(hash, out ApiKeyInfo? cached))
        {
            return (true, cached);
        }

        var info = await grains.GetGrain<IApiKeyGrain>(hash).Get();
        if (info is not null)
        {
            cache.Set(hash, info, CacheFor);
        }

        return (info is not null, info);
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The platform administrator's key, from COSTGRAINS_ADMIN_KEY or generated at start-up.</summary>
public sealed class AdminKey
{
    private readonly byte[] _hash;

    public AdminKey(string secret, bool generated)
    {
        Secret = secret;
        Generated = generated;
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
    }

    public string Secret { get; }

    public bool Generated { get; }

    public bool Matches(string candidate) =>
        CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(candidate)));
}
