using System.Text;
using System.Text.RegularExpressions;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace AlertHub.UnitTests.Architecture;

/// <summary>
/// The feature folders of the server (<c>Features/&lt;Name&gt;</c>) may use each other only one way: no two features, and
/// no longer chain of them, may depend on each other in a circle. Read twice — from the compiled IL (every type a
/// feature's code touches, method bodies and lambdas included) and from the <c>using</c> directives of the sources — so a
/// cycle hidden behind a fully qualified name or an unused <c>using</c> is found too. <c>Infrastructure</c> is below every
/// feature and depends on none. docs/architecture.md lists the layers these tests keep.
/// </summary>
public sealed partial class FeatureDependencyTests
{
    private const string FeaturesNamespace = "AlertHub.Server.Features.";
    private const string Infrastructure = "Infrastructure";

    [Fact]
    public void Features_ByCompiledReferences_FormNoCycle()
    {
        var graph = CompiledGraph();

        Assert.NotEmpty(graph.Edges);
        Assert.True(graph.Cycles().Count == 0, graph.Describe("Feature folders depend on each other in a cycle (compiled references)"));
    }

    [Fact]
    public void Features_ByUsingDirectives_FormNoCycle()
    {
        var graph = UsingGraph();

        Assert.NotEmpty(graph.Edges);
        Assert.True(graph.Cycles().Count == 0, graph.Describe("Feature folders depend on each other in a cycle (using directives)"));
    }

    [Fact]
    public void Infrastructure_DependsOnNoFeature()
    {
        foreach (var graph in new[] { CompiledGraph(), UsingGraph() })
        {
            var up = graph.Edges.Where(e => e.Key.From == Infrastructure).ToList();
            Assert.True(up.Count == 0, $"Infrastructure uses features: {string.Join("; ", up.Select(e => $"{e.Key.To} ({string.Join(", ", e.Value.Take(3))})"))}");
        }
    }

    [Fact]
    public void Cycles_OfAKnownGraph_AreFound()
    {
        var graph = new DependencyGraph();
        graph.Add("Alerts", "Delivery", "x");
        graph.Add("Delivery", "Residents", "x");
        graph.Add("Residents", "Alerts", "x");
        graph.Add("Residents", "Storage", "x");
        graph.Add("Auth", "Staff", "x");
        graph.Add("Staff", "Auth", "x");

        var cycles = graph.Cycles().Select(c => string.Join(",", c.Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["Alerts,Delivery,Residents", "Auth,Staff"], cycles);
    }

    /// <summary>The feature a type belongs to: the folder after <c>Features.</c> of its outermost type's namespace.</summary>
    private static string? FeatureOf(TypeReference type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return FeatureOfNamespace(type.Namespace);
    }

    private static string? FeatureOfNamespace(string ns)
    {
        if (ns.StartsWith(FeaturesNamespace, StringComparison.Ordinal))
        {
            var rest = ns[FeaturesNamespace.Length..];
            var dot = rest.IndexOf('.', StringComparison.Ordinal);
            return dot < 0 ? rest : rest[..dot];
        }

        return ns == "AlertHub.Server.Infrastructure" || ns.StartsWith("AlertHub.Server.Infrastructure.", StringComparison.Ordinal) ? Infrastructure : null;
    }

    private static DependencyGraph CompiledGraph()
    {
        var graph = new DependencyGraph();
        using var module = ModuleDefinition.ReadModule(typeof(Program).Assembly.Location);
        foreach (var type in module.GetTypes())
        {
            if (FeatureOf(type) is not { } from)
            {
                continue;
            }

            foreach (var referenced in References(type))
            {
                foreach (var named in Flatten(referenced))
                {
                    if (named.Scope == module && FeatureOf(named) is { } to && to != from)
                    {
                        graph.Add(from, to, $"{Outermost(type).Name} → {Outermost(named).Name}");
                    }
                }
            }
        }

        return graph;
    }

    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }

    /// <summary>Every type a type's declaration and code name: base, interfaces, attributes, members, locals and the operands of every instruction.</summary>
    private static IEnumerable<TypeReference> References(TypeDefinition type)
    {
        if (type.BaseType is not null)
        {
            yield return type.BaseType;
        }

        foreach (var i in type.Interfaces)
        {
            yield return i.InterfaceType;
        }

        foreach (var a in Attributes(type))
        {
            yield return a;
        }

        foreach (var field in type.Fields)
        {
            yield return field.FieldType;
        }

        foreach (var property in type.Properties)
        {
            yield return property.PropertyType;
        }

        foreach (var method in type.Methods)
        {
            yield return method.ReturnType;
            foreach (var p in method.Parameters)
            {
                yield return p.ParameterType;
            }

            foreach (var a in Attributes(method))
            {
                yield return a;
            }

            if (!method.HasBody)
            {
                continue;
            }

            foreach (var v in method.Body.Variables)
            {
                yield return v.VariableType;
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        yield return t;
                        break;
                    case MethodReference m:
                        yield return m.DeclaringType;
                        yield return m.ReturnType;
                        foreach (var p in m.Parameters)
                        {
                            yield return p.ParameterType;
                        }

                        if (m is GenericInstanceMethod g)
                        {
                            foreach (var arg in g.GenericArguments)
                            {
                                yield return arg;
                            }
                        }

                        break;
                    case FieldReference f:
                        yield return f.DeclaringType;
                        yield return f.FieldType;
                        break;
                }
            }
        }
    }

    private static IEnumerable<TypeReference> Attributes(ICustomAttributeProvider provider) =>
        provider.CustomAttributes.Select(a => a.AttributeType);

    /// <summary>The named types inside a type: element types of arrays and pointers, and the arguments of generic types.</summary>
    private static IEnumerable<TypeReference> Flatten(TypeReference? type)
    {
        if (type is null || type is GenericParameter)
        {
            yield break;
        }

        switch (type)
        {
            case GenericInstanceType generic:
                foreach (var t in Flatten(generic.ElementType))
                {
                    yield return t;
                }

                foreach (var arg in generic.GenericArguments)
                {
                    foreach (var t in Flatten(arg))
                    {
                        yield return t;
                    }
                }

                break;
            case TypeSpecification spec:
                foreach (var t in Flatten(spec.ElementType))
                {
                    yield return t;
                }

                break;
            default:
                yield return type;
                break;
        }
    }

    private static DependencyGraph UsingGraph()
    {
        var graph = new DependencyGraph();
        var root = Path.Combine(RepositoryRoot(), "src", "AlertHub.Server");
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = relative.Split('/');
            var from = parts[0] == "Features" && parts.Length > 2 ? parts[1] : parts[0] == Infrastructure ? Infrastructure : null;
            if (from is null)
            {
                continue;
            }

            foreach (Match m in UsingDirective().Matches(File.ReadAllText(file)))
            {
                if (FeatureOfNamespace(m.Groups["ns"].Value) is { } to && to != from)
                {
                    graph.Add(from, to, relative);
                }
            }
        }

        return graph;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlertHub.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("AlertHub.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(?<ns>AlertHub\.Server\.[\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    /// <summary>Features and who uses whom, with a few examples per edge for the failure message.</summary>
    internal sealed class DependencyGraph
    {
        public Dictionary<(string From, string To), SortedSet<string>> Edges { get; } = [];

        public void Add(string from, string to, string example)
        {
            if (!Edges.TryGetValue((from, to), out var examples))
            {
                Edges[(from, to)] = examples = new SortedSet<string>(StringComparer.Ordinal);
            }

            examples.Add(example);
        }

        /// <summary>The strongly connected components with more than one feature (Tarjan): each is a set of features in a cycle.</summary>
        public IReadOnlyList<IReadOnlyList<string>> Cycles()
        {
            var next = Edges.Keys.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).Order(StringComparer.Ordinal).ToList());
            var nodes = Edges.Keys.SelectMany(e => new[] { e.From, e.To }).Distinct().Order(StringComparer.Ordinal).ToList();
            var index = new Dictionary<string, int>();
            var low = new Dictionary<string, int>();
            var stack = new Stack<string>();
            var onStack = new HashSet<string>();
            var result = new List<IReadOnlyList<string>>();
            var counter = 0;

            void Visit(string v)
            {
                index[v] = low[v] = counter++;
                stack.Push(v);
                onStack.Add(v);
                foreach (var w in next.GetValueOrDefault(v) ?? [])
                {
                    if (!index.TryGetValue(w, out var seen))
                    {
                        Visit(w);
                        low[v] = Math.Min(low[v], low[w]);
                    }
                    else if (onStack.Contains(w))
                    {
                        low[v] = Math.Min(low[v], seen);
                    }
                }

                if (low[v] == index[v])
                {
                    var component = new List<string>();
                    string w;
                    do
                    {
                        w = stack.Pop();
                        onStack.Remove(w);
                        component.Add(w);
                    }
                    while (w != v);

                    if (component.Count > 1)
                    {
                        result.Add(component);
                    }
                }
            }

            foreach (var node in nodes.Where(n => !index.ContainsKey(n)))
            {
                Visit(node);
            }

            return result;
        }

        public string Describe(string title)
        {
            var text = new StringBuilder(title).AppendLine(":");
            foreach (var cycle in Cycles())
            {
                var members = cycle.ToHashSet(StringComparer.Ordinal);
                text.AppendLine($"  cycle: {string.Join(", ", cycle.Order(StringComparer.Ordinal))}");
                foreach (var ((from, to), examples) in Edges.Where(e => members.Contains(e.Key.From) && members.Contains(e.Key.To)).OrderBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal))
                {
                    text.AppendLine($"    {from} -> {to}: {string.Join("; ", examples.Take(4))}{(examples.Count > 4 ? $" (+{examples.Count - 4})" : "")}");
                }
            }

            return text.ToString();
        }
    }
}
