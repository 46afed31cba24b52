// Convolution and pooling over sequences, channels-last [B, L, C] like Keras: conv1d, maxPool1d; and dropout.

export interface ConvOps {}
