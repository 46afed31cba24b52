// Public surface of the dataset sources.
export { loadDataset, detectDatasetKind, type DatasetKind, type LoadDatasetOptions } from './load-dataset.ts';
export { loadCaptureFolder, listCaptureFiles, isCaptureFile, type FlowReadOptions } from './capture-folder.ts';
export { loadLabelledCapture, labelFlows, LABEL_FILE_FORMAT } from './labelled-capture.ts';
export { loadCsvFeatures, type CsvFeatureOptions } from './csv-features.ts';
export { parseCsv, type CsvRecord } from './csv.ts';
export { loadCertTa } from './certta.ts';
export { loadUstcIdx, parseIdx, isUstcIdx, USTC_BENIGN_CLASSES, USTC_MALWARE_CLASSES, type UstcOptions, type IdxFile } from './ustc-idx.ts';
export { indexLabels, type Dataset, type FlowDataset, type FeatureDataset, type FlowDatasetFormat, type CaptureSummary } from './types.ts';
export { loadDclInputs, loadTrafficMoeInputs, datasetFingerprint, type CachedInputOptions, type DclInputs, type TrafficMoeDatasetInputs } from './dataset-features.ts';
export { inspectDataset, formatTable, protocolName } from './inspect.ts';
