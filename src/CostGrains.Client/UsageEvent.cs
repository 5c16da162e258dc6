using System.Text.Json;
using System.Text.Json.Serialization;

namespace CostGrains.Client;

/// <summary>One usage event as the ingest API takes it. Give exactly one of Project, Allocation, Workspace.</summary>
public sealed record UsageEvent
{
    /// <summary>Idempotency key, unique within the organization. Assigned once at enqueue when empty.</summary>
    public string? Id { get; init; }

    public required DateTimeOffset Time { get; init; }

    public DateTimeOffset? End { get; init; }

    public string? Project { get; init; }

    public string? Allocation { get; init; }

    public string? Workspace { get; init; }

    public string? Sku { get; init; }

    public decimal? Quantity { get; init; }

    public decimal? Amount { get; init; }

    public string? Category { get; init; }

    public string? Resource { get; init; }

    public IReadOnlyDictionary<string, object>? Dimensions { get; init; }

    /// <summary>usage (default, billed), or a resource report: instance, bucket, deployment.</summary>
    public string? Type { get; init; }

    /// <summary>A resource's state: running|stopped|deleted (instance), active|deleted (bucket, deployment).</summary>
    public string? State { get; init; }

    /// <summary>A resource's hourly rate in USD (an instance's price, a bucket's warm-storage rate).</summary>
    public decimal? HourlyCost { get; init; }

    public IReadOnlyDictionary<string, object>? Specs { get; init; }

    public string? Host { get; init; }

    public int? Replicas { get; init; }

    /// <summary>A deployment's <c>requests</c>, e.g. <c>{"requests":{"cpu":"500m","memory":"2Gi"}}</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, object>>? Resources { get; init; }
}

/// <summary>What the server acknowledged for a batch.</summary>
public sealed record IngestResult(int Accepted, int Duplicates);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyList<UsageEvent>))]
[JsonSerializable(typeof(IngestResult))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(ProjectUsage))]
internal sealed partial class ClientJson : JsonSerializerContext;
