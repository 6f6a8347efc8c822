namespace IotHub.Edge;

/// <summary>Optional part of a smart pole's driver: the screen the agent's local rule writes to.</summary>
public interface ISignageDisplay
{
    /// <summary>Shows <paramref name="message"/> (<see cref="LocalRules.NormalSignage"/> for the normal screen).</summary>
    void Show(string message);
}
