namespace CostGrains.Ingest;

/// <summary>Why one event of a batch was refused: its position, the field, and what is wrong.</summary>
public sealed record IngestError(int Index, string Field, string Message);
