using System.Text.RegularExpressions;
using Npgsql;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CostGrains.IntegrationTests;

/// <summary>
/// docker-compose.yml and deploy/Dockerfile cannot run here (no Docker engine), so they are
/// checked against what the code reads: same variables, ports, images and entry point.
/// </summary>
public sealed class DeploymentFilesTests
{
    private static readonly string Root = InProcessServer.RepositoryRoot();

    private static YamlMappingNode Compose()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Root, "docker-compose.yml"));
        yaml.Load(new MergingParser(new Parser(reader))); // resolves the "<<: *node" anchors
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node)[key];

    private static string Scalar(YamlNode node, string key) => ((YamlScalarNode)((YamlMappingNode)node)[key]).Value!;

    [Fact]
    public void Compose_runs_postgres_and_two_nodes_of_one_cluster_on_it()
    {
        var services = Map(Compose(), "services");
        var postgres = services["postgres"];
        Assert.StartsWith("postgres:15", Scalar(postgres, "image"));
        var pgEnv = Map(postgres, "environment");

        var nodes = new[] { "node1", "node2" }.Select(n => services[n]).ToList();
        var hostPorts = new HashSet<string>();
        foreach (var node in nodes)
        {
            var env = Map(node, "environment");
            var connection = new NpgsqlConnectionStringBuilder(Scalar(env, "ConnectionStrings__Postgres"));
            Assert.Equal("postgres", connection.Host);
            Assert.Equal(Scalar(pgEnv, "POSTGRES_USER"), connection.Username);
            Assert.Equal(Scalar(pgEnv, "POSTGRES_PASSWORD"), connection.Password);
            Assert.Equal(Scalar(pgEnv, "POSTGRES_DB"), connection.Database);
            Assert.Equal("costgrains", Scalar(env, "Orleans__ClusterId"));
            Assert.Equal("11111", Scalar(env, "Orleans__Endpoints__SiloPort"));
            Assert.Equal("30000", Scalar(env, "Orleans__Endpoints__GatewayPort"));
            Assert.Equal(Scalar(node, "hostname"), Scalar(env, "Orleans__Endpoints__AdvertisedIPAddress"));
            Assert.Contains("COSTGRAINS_ADMIN_KEY", Scalar(env, "COSTGRAINS_ADMIN_KEY"));

            var build = Map(node, "build");
            Assert.True(File.Exists(Path.Combine(Root, Scalar(build, "context"), Scalar(build, "dockerfile"))));
            var command = string.Join(' ', ((YamlSequenceNode)((YamlMappingNode)node)["command"]).Select(c => ((YamlScalarNode)c).Value));
            Assert.Contains("http://0.0.0.0:8080", command);
            var ports = ((YamlSequenceNode)((YamlMappingNode)node)["ports"]).Select(p => ((YamlScalarNode)p).Value!).ToList();
            var mapping = Assert.Single(ports);
            Assert.EndsWith(":8080", mapping);
            Assert.True(hostPorts.Add(mapping.Split(':')[0]), "each node needs its own host port");
            Assert.Contains("/health/ready", string.Join(' ', ((YamlSequenceNode)Map(node, "healthcheck")["test"]).Select(t => ((YamlScalarNode)t).Value)));
        }
    }

    [Fact]
    public void Dockerfile_publishes_the_server_and_exposes_the_ports_compose_uses()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "deploy", "Dockerfile"));
        Assert.Contains("mcr.microsoft.com/dotnet/sdk:10.0", dockerfile);
        Assert.Contains("mcr.microsoft.com/dotnet/aspnet:10.0", dockerfile);
        Assert.Contains("src/CostGrains.Server/CostGrains.Server.csproj", dockerfile);
        Assert.True(File.Exists(Path.Combine(Root, "src/CostGrains.Server/CostGrains.Server.csproj")));
        var exposed = Regex.Match(dockerfile, @"^EXPOSE (.+)$", RegexOptions.Multiline).Groups[1].Value.Split(' ');
        Assert.Equal(["8080", "11111", "30000"], exposed);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"CostGrains.Server.dll\"]", dockerfile);
        Assert.Contains("curl", dockerfile); // the compose health check uses it
    }

    [Fact]
    public void Every_variable_compose_sets_is_one_the_server_reads()
    {
        var source = string.Join('\n', Directory.GetFiles(Path.Combine(Root, "src", "CostGrains.Server"), "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText));
        var services = Map(Compose(), "services");
        foreach (var node in new[] { "node1", "node2" })
        {
            foreach (var variable in Map(services[node], "environment").Children.Keys.Select(k => ((YamlScalarNode)k).Value!))
            {
                var key = variable.Replace("__", ":");
                var known = source.Contains($"\"{variable}\"") || source.Contains($"\"{key}\"")
                    || (key.StartsWith("ConnectionStrings:") && source.Contains($"GetConnectionString(\"{key["ConnectionStrings:".Length..]}\")"));
                Assert.True(known, $"{variable} is set in docker-compose.yml but the server never reads it");
            }
        }
    }
}
