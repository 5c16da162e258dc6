// costgrains: the command-line metering agent (see Cli).
return await CostGrains.Agent.Cli.RunAsync(args, Console.Out, Console.Error);
