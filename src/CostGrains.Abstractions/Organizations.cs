namespace CostGrains;

/// <summary>The roles an organization key can carry.</summary>
public enum KeyRole
{
    Admin,
    Member,
    Ingest,
}

[GenerateSerializer, Immutable]
public sealed record OrganizationInfo(
    [property: Id(0)] string Key,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt);

/// <summary>A stored API key: whose it is and what it may do. The secret itself is never stored.</summary>
[GenerateSerializer, Immutable]
public sealed record ApiKeyInfo(
    [property: Id(0)] string Org,
    [property: Id(1)] KeyRole Role,
    [property: Id(2)] DateTimeOffset CreatedAt);

/// <summary>A price in force from <see cref="From"/> until the next rate.</summary>
[GenerateSerializer, Immutable]
public sealed record SkuRate(
    [property: Id(0)] DateTimeOffset From,
    [property: Id(1)] decimal Price);

/// <summary>A priced item of an organization's price book.</summary>
[GenerateSerializer, Immutable]
public sealed record Sku(
    [property: Id(0)] string Code,
    [property: Id(1)] string Unit,
    [property: Id(2)] string Category,
    [property: Id(3)] IReadOnlyList<SkuRate> Rates)
{
    /// <summary>The price in force at <paramref name="time"/>, or null before the first rate.</summary>
    public decimal? PriceAt(DateTimeOffset time)
    {
        decimal? price = null;
        foreach (var rate in Rates)
        {
            if (rate.From > time)
            {
                break;
            }

            price = rate.Price;
        }

        return price;
    }
}

/// <summary>
/// Everything ingest needs to validate and rate a batch for one organization, as one immutable
/// value: the price book and the units of the organization's allocations.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PriceCatalog(
    [property: Id(0)] string Org,
    [property: Id(1)] IReadOnlyDictionary<string, Sku> Skus,
    [property: Id(2)] IReadOnlyDictionary<string, string> AllocationUnits,
    [property: Id(3)] long Version)
{
    public const string Usd = "USD";
}
