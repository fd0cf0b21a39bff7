using PushService;

var builder = WebApplication.CreateBuilder(args);
builder.AddPushService();

var app = builder.Build();
app.MapPushService();
app.Run();

/// <summary>Entry point; public so tests and tools can find the assembly.</summary>
public partial class Program;
