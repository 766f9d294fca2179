// Option declarations: each trainer's and command's options, declared once (type, default, help,
// validation) and read by the trainers, the command line and config files alike.
export {
  bool, choice, choiceList, choiceWords, int, json, num, optionalChoice, optionalNum, optionalNumList, optionalText, requiredText, text, withDefault,
  type IntBounds, type NumBounds, type Option, type OptionExtras, type OptionType,
} from './option.js';
export {
  ConfigError, checkEach, declareConfig, group, ownerOf, partialGroup, pickOptions, showValue, valuesFor,
  type ConfigDecl, type ConfigInput, type ConfigOf, type Entry, type Group, type Options, type Overrides, type ValuesOf,
} from './declare.js';
