var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => "AlertHub");
app.Run();

public partial class Program;
