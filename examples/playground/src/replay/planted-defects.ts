// The simulator's planted defects (classic Raft bugs wrapped around the real reducer) live with
// its tests; the replay offers them to a person, to watch a checker catch one.
export {
  type DefectName as PlantedDefectName,
  defects as plantedDefects,
} from "../../../../packages/sim/test/defects.js";
