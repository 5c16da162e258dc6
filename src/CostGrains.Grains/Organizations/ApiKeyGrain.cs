namespace CostGrains.Organizations;

[GenerateSerializer]
public sealed class ApiKeyState
{
    [Id(0)] public ApiKeyInfo? Key { get; set; }
}

/// <summary>An organization API key, keyed by the SHA-256 of its secret; the secret is never stored.</summary>
public sealed class ApiKeyGrain(
    [PersistentState("apikey", GrainStorage.Name)] IPersistentState<ApiKeyState> state)
    : Grain, IApiKeyGrain
{
    public async Task Register(string org, KeyRole role)
    {
        if (state.State.Key is not null)
        {
            throw new InvalidOperationException("This key is already registered.");
        }

        state.State.Key = new ApiKeyInfo(org, role, DateTimeOffset.UtcNow);
        await state.WriteStateAsync();
    }

    public Task<ApiKeyInfo?> Get() => Task.FromResult(state.State.Key);
}
