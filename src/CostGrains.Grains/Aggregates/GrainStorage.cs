namespace CostGrains;

/// <summary>The name of the grain storage provider every CostGrains grain uses.</summary>
public static class GrainStorage
{
    public const string Name = "state";
}
