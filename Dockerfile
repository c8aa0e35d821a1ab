# The hub as a container (used by compose.yaml). Build context: the repository root.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/AlertHub.Server -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:5080 \
    Storage__DataDirectory=/data
VOLUME /data
EXPOSE 5080
ENTRYPOINT ["dotnet", "AlertHub.Server.dll"]
