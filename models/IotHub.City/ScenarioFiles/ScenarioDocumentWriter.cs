namespace IotHub.City.ScenarioFiles;

/// <summary>Turns a <see cref="CityScenario"/> into its <see cref="ScenarioDocument"/>, field for field.</summary>
internal static class ScenarioDocumentWriter
{
    public static ScenarioDocument Write(CityScenario scenario) => new()
    {
        FormatVersion = 1,
        Name = scenario.Name,
        RandomStormsPerDay = scenario.RandomStormsPerDay,
        Rivers = [.. scenario.Rivers.Select(r => new RiverDocument
        {
            Id = r.Id,
            Name = r.Name,
            Gauges = [.. r.Gauges.Select(g => new GaugeDocument
            {
                DeviceId = g.DeviceId,
                Name = g.Name,
                Location = LocationDocument.From(g.Location),
                CatchmentCentre = LocationDocument.From(g.CatchmentCentre),
                LocalCatchmentArea = g.LocalCatchmentArea,
                RunoffCoefficient = g.RunoffCoefficient,
                ReservoirTimeConstantMinutes = g.ReservoirTimeConstant.TotalMinutes,
                BaseFlow = g.BaseFlow,
                Rating = new RatingDocument { ZeroFlowLevel = g.Rating.ZeroFlowLevel, Coefficient = g.Rating.Coefficient, Exponent = g.Rating.Exponent },
                Thresholds = new ThresholdsDocument
                {
                    Standby = g.Thresholds.Standby,
                    FloodCaution = g.Thresholds.FloodCaution,
                    EvacuationJudgement = g.Thresholds.EvacuationJudgement,
                    FloodDanger = g.Thresholds.FloodDanger,
                },
                DownstreamGaugeId = g.DownstreamGaugeId,
                TravelTimeDownstreamMinutes = g.TravelTimeDownstream.TotalMinutes,
            })],
        })],
        SewerDistricts = [.. scenario.SewerDistricts.Select(d => new SewerDistrictDocument
        {
            Id = d.Id,
            Name = d.Name,
            Centre = LocationDocument.From(d.Centre),
            DesignRainfall = d.DesignRainfall,
            Manholes = [.. d.Manholes.Select(m => new ManholeDocument
            {
                DeviceId = m.DeviceId,
                Name = m.Name,
                Location = LocationDocument.From(m.Location),
                PipeDiameter = m.PipeDiameter,
                DryWeatherFlowRatio = m.DryWeatherFlowRatio,
            })],
        })],
        SmartPoles = [.. scenario.SmartPoles.Select(p => new SmartPoleDocument
        {
            DeviceId = p.DeviceId,
            Name = p.Name,
            Location = LocationDocument.From(p.Location),
            PeakPeopleInView = p.PeakPeopleInView,
        })],
        SubwayLines = [.. scenario.SubwayLines.Select(l => new SubwayLineDocument
        {
            Id = l.Id,
            Name = l.Name,
            Stations = [.. l.Stations.Select(s => new StationDocument { Name = s.Name, Location = LocationDocument.From(s.Location), Homes = s.Homes, Jobs = s.Jobs })],
            CarsPerTrain = l.CarsPerTrain,
            TrainCount = l.TrainCount,
            StairsCars = [.. l.StairsCars],
            EndCarCapacity = l.EndCarCapacity,
            MiddleCarCapacity = l.MiddleCarCapacity,
            PeakLoadFactor = l.PeakLoadFactor,
            ScheduledSpeed = l.ScheduledSpeed,
        })],
        Intersections = [.. scenario.Intersections.Select(i => new IntersectionDocument
        {
            Id = i.Id,
            Name = i.Name,
            Road = i.Road,
            Location = LocationDocument.From(i.Location),
            Lanes = i.Lanes,
            PeakDemandPerLane = i.PeakDemandPerLane,
            CycleSeconds = i.Cycle.TotalSeconds,
            GreenSplit = i.GreenSplit,
            DetectorDistance = i.DetectorDistance,
        })],
        ScheduledStorms = [.. scenario.ScheduledStorms.Select(s => new StormDocument
        {
            StartsAfterMinutes = s.StartsAfter.TotalMinutes,
            DurationMinutes = s.Duration.TotalMinutes,
            Start = LocationDocument.From(s.Start),
            EastwardSpeed = s.EastwardSpeed,
            NorthwardSpeed = s.NorthwardSpeed,
            PeakIntensity = s.PeakIntensity,
            Radius = s.Radius,
        })],
    };
}
