// The simulator's planted defects (classic Raft bugs wrapped around the real reducer), the same
// ones its seed-search suite plants; the replay offers them to a person, to watch a checker
// catch one.
export {
  type DefectName as PlantedDefectName,
  defects as plantedDefects,
} from "@flotilla/sim/defects";
