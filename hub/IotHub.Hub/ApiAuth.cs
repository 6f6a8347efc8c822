using IotHub.Ingest;

namespace IotHub.Hub;

/// <summary>Requires the admin token on API requests: <c>Authorization: Token ...</c> (or <c>Bearer ...</c>).</summary>
internal sealed class ApiAuth(AdminCredentials admin) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var presented = AuthorizationHeader.TokenOf(context.HttpContext.Request.Headers.Authorization.ToString());

        if (presented is null)
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Token";
            return Results.Problem(statusCode: 401, title: "Unauthorized", detail: "Send the admin token as 'Authorization: Token <token>' (see admin.json in the data folder).");
        }

        if (!admin.Matches(presented))
        {
            return Results.Problem(statusCode: 401, title: "Unauthorized", detail: "The token is not the hub's admin token.");
        }

        return await next(context);
    }
}
