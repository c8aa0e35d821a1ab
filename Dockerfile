# The hub as a container (used by compose.yaml). Build context: the repository root.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The dashboard's Leaflet, hls.js and SignalR client come from npm during the build.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Published for the image's platform, so the hub and its libraries are precompiled (ReadyToRun, see the project file).
# BuildKit sets TARGETARCH (amd64, arm64); the classic builder does not, hence the default.
ARG TARGETARCH
RUN dotnet publish src/AlertHub.Server -c Release -a "${TARGETARCH:-amd64}" --self-contained false -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# ffmpeg relays and snapshots the live cameras; without it the camera feature reports itself unavailable.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:5080 \
    Storage__DataDirectory=/data
VOLUME /data
EXPOSE 5080
ENTRYPOINT ["dotnet", "AlertHub.Server.dll"]
