"""The course's English-Chinese glossary (术语表) as data, and the rule that finds the
"term (中文)" pairs the notebooks write. ``GLOSSARY`` holds one :class:`Entry` per key term:
the English term as the course writes it, its Chinese, and the notebook that teaches it
(``"03_math/04_backpropagation"``, relative to ``notebooks/``, without ``.ipynb``). Every
Chinese translation is the one the notebooks themselves use, so that the appendix notebook
``appendix/01_glossary`` and ``tests/test_glossary.py`` can check the two against each other:
each entry must appear in its notebook, and every pair :func:`pairs_in_text` extracts from any
notebook must use the glossary's Chinese for a glossary term.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from labutils._validate import check_instance


class Entry(NamedTuple):
    """One glossary row: English term, Chinese term, teaching notebook (``"<ch>/<nb>"``)."""

    english: str
    chinese: str
    notebook: str


_E = Entry
GLOSSARY: tuple[Entry, ...] = (
    # --- 00 start, 01 background ------------------------------------------------------------
    _E("reproducibility", "可复现性", "00_start/00_welcome"),
    _E("matrix multiplication", "矩阵乘法", "00_start/00_welcome"),
    _E("Dense layer", "全连接层", "00_start/00_welcome"),
    _E("training tokens", "训练词元", "01_background/01_why_large_models"),
    _E("training compute", "训练算力", "01_background/01_why_large_models"),
    _E("doubling time", "倍增时间", "01_background/01_why_large_models"),
    _E("least squares", "最小二乘法", "01_background/01_why_large_models"),
    _E("bootstrap", "自助法", "01_background/01_why_large_models"),
    _E("confidence interval", "置信区间", "01_background/01_why_large_models"),
    _E("percentile interval", "百分位区间", "01_background/01_why_large_models"),
    _E("selection bias", "选择偏差", "01_background/01_why_large_models"),
    _E("mixture-of-experts model", "混合专家模型", "01_background/01_why_large_models"),
    _E("volume", "数据量", "01_background/02_big_data_meets_ai"),
    _E("velocity", "速度", "01_background/02_big_data_meets_ai"),
    _E("variety", "多样性", "01_background/02_big_data_meets_ai"),
    _E("learning curve", "学习曲线", "01_background/02_big_data_meets_ai"),
    _E("label noise", "标签噪声", "01_background/02_big_data_meets_ai"),
    _E("logistic regression", "逻辑回归", "01_background/02_big_data_meets_ai"),
    _E("one-hot encoding", "独热编码", "01_background/03_industry_cases"),
    _E("baseline", "基线", "01_background/03_industry_cases"),
    _E("gradient boosting", "梯度提升", "01_background/03_industry_cases"),
    _E("cross-validation", "交叉验证", "01_background/03_industry_cases"),
    _E("lift", "提升度", "01_background/03_industry_cases"),
    # --- 02 concepts ------------------------------------------------------------------------
    _E("parameter", "参数", "02_concepts/01_ai_ml_dl_large_models"),
    _E("large model", "大模型", "02_concepts/01_ai_ml_dl_large_models"),
    _E("mixed precision", "混合精度", "02_concepts/02_how_big_is_big"),
    _E("activation memory", "激活值内存", "02_concepts/02_how_big_is_big"),
    _E("optimizer state", "优化器状态", "02_concepts/02_how_big_is_big"),
    _E("model training", "模型训练", "02_concepts/03_training_vs_inference"),
    _E("model inference", "模型推理", "02_concepts/03_training_vs_inference"),
    _E("inference", "推理", "02_concepts/03_training_vs_inference"),
    _E("forward pass", "前向传播", "02_concepts/03_training_vs_inference"),
    _E("backward pass", "反向传播", "02_concepts/03_training_vs_inference"),
    _E("optimizer update", "参数更新", "02_concepts/03_training_vs_inference"),
    _E("latency", "延迟", "02_concepts/03_training_vs_inference"),
    _E("throughput", "吞吐量", "02_concepts/03_training_vs_inference"),
    _E("micro-batching", "微批处理", "02_concepts/03_training_vs_inference"),
    _E("serving", "服务化", "02_concepts/04_model_as_a_service"),
    _E("contract", "接口契约", "02_concepts/04_model_as_a_service"),
    _E("Little's law", "利特尔法则", "02_concepts/04_model_as_a_service"),
    # --- 03 math ----------------------------------------------------------------------------
    _E("forward propagation", "前向传播", "03_math/01_forward_propagation"),
    _E("batch", "批量", "03_math/01_forward_propagation"),
    _E("broadcasting", "广播", "03_math/01_forward_propagation"),
    _E("random seed", "随机种子", "03_math/01_forward_propagation"),
    _E("neuron", "神经元", "03_math/01_forward_propagation"),
    _E("weight", "权重", "03_math/01_forward_propagation"),
    _E("bias", "偏置", "03_math/01_forward_propagation"),
    _E("activation function", "激活函数", "03_math/01_forward_propagation"),
    _E("hidden layer", "隐藏层", "03_math/01_forward_propagation"),
    _E("output layer", "输出层", "03_math/01_forward_propagation"),
    _E("logits", "未归一化的对数概率", "03_math/01_forward_propagation"),
    _E("initialisation", "初始化", "03_math/01_forward_propagation"),
    _E("squared error", "平方误差", "03_math/01_forward_propagation"),
    _E("Jacobian", "雅可比矩阵", "03_math/02_activations"),
    _E("saturation", "饱和", "03_math/02_activations"),
    _E("dead ReLU units", "死亡ReLU", "03_math/02_activations"),
    _E("vanishing gradient", "梯度消失", "03_math/02_activations"),
    _E("automatic differentiation", "自动微分", "03_math/02_activations"),
    _E("loss function", "损失函数", "03_math/03_losses"),
    _E("mean squared error", "均方误差", "03_math/03_losses"),
    _E("cross-entropy", "交叉熵", "03_math/03_losses"),
    _E("logit", "对数几率", "03_math/03_losses"),
    _E("initial weights", "初始权重", "03_math/03_losses"),
    _E("backpropagation", "反向传播", "03_math/04_backpropagation"),
    _E("gradient", "梯度", "03_math/04_backpropagation"),
    _E("gradient checking", "梯度检验", "03_math/04_backpropagation"),
    _E("finite differences", "有限差分", "03_math/04_backpropagation"),
    _E("chain rule", "链式法则", "03_math/04_backpropagation"),
    _E("kink", "扭结", "03_math/04_backpropagation"),
    _E("activation", "激活值", "03_math/04_backpropagation"),
    _E("LayerNorm", "层归一化", "03_math/04_backpropagation"),
    _E("activation recomputation", "激活重计算", "03_math/04_backpropagation"),
    _E("mini-batch", "小批量", "03_math/05_gradient_descent_and_optimizers"),
    _E("weight decay", "权重衰减", "03_math/05_gradient_descent_and_optimizers"),
    _E("warm-up", "学习率预热", "03_math/05_gradient_descent_and_optimizers"),
    _E("cosine decay", "余弦衰减", "03_math/05_gradient_descent_and_optimizers"),
    _E("stochastic gradient descent", "随机梯度下降", "03_math/05_gradient_descent_and_optimizers"),
    _E("variance", "方差", "03_math/05_gradient_descent_and_optimizers"),
    _E("standard deviation", "标准差", "03_math/05_gradient_descent_and_optimizers"),
    _E("momentum", "动量", "03_math/05_gradient_descent_and_optimizers"),
    _E("adaptive learning rate", "自适应学习率", "03_math/05_gradient_descent_and_optimizers"),
    _E("bias correction", "偏差修正", "03_math/05_gradient_descent_and_optimizers"),
    _E("loss surface", "损失曲面", "03_math/05_gradient_descent_and_optimizers"),
    _E("condition number", "条件数", "03_math/05_gradient_descent_and_optimizers"),
    _E("learning rate", "学习率", "03_math/05_gradient_descent_and_optimizers"),
    _E("gradient descent", "梯度下降", "03_math/05_gradient_descent_and_optimizers"),
    _E("attention", "注意力机制", "03_math/06_attention"),
    _E("scaled dot-product attention", "缩放点积注意力", "03_math/06_attention"),
    _E("causal mask", "因果掩码", "03_math/06_attention"),
    _E("multi-head attention", "多头注意力", "03_math/06_attention"),
    _E("positional encoding", "位置编码", "03_math/06_attention"),
    _E("attention weights", "注意力权重", "03_math/06_attention"),
    _E("soft lookup", "软查找", "03_math/06_attention"),
    _E("mask", "掩码", "03_math/06_attention"),
    _E("padding mask", "填充掩码", "03_math/06_attention"),
    _E("head", "头", "03_math/06_attention"),
    _E("projection", "投影", "03_math/06_attention"),
    _E("word embedding", "词嵌入", "03_math/06_attention"),
    _E("identity map", "恒等映射", "03_math/06_attention"),
    _E("context length", "上下文长度", "03_math/06_attention"),
    _E("permutation equivariance", "置换等变性", "03_math/06_attention"),
    _E("rotation matrix", "旋转矩阵", "03_math/06_attention"),
    _E("attention map", "注意力图", "03_math/06_attention"),
    _E("autoencoder", "自编码器", "03_math/07_autoencoder_objective"),
    _E("principal component analysis", "主成分分析", "03_math/07_autoencoder_objective"),
    _E("bottleneck", "瓶颈", "03_math/07_autoencoder_objective"),
    _E("encoder", "编码器", "03_math/07_autoencoder_objective"),
    _E("decoder", "解码器", "03_math/07_autoencoder_objective"),
    _E("latent representation", "潜在表示", "03_math/07_autoencoder_objective"),
    _E("reconstruction error", "重构误差", "03_math/07_autoencoder_objective"),
    _E("singular value decomposition", "奇异值分解", "03_math/07_autoencoder_objective"),
    _E("principal component", "主成分", "03_math/07_autoencoder_objective"),
    _E("principal angle", "主角度", "03_math/07_autoencoder_objective"),
    _E("nearest-neighbour classifier", "最近邻分类器", "03_math/07_autoencoder_objective"),
    _E("PCA", "主成分分析", "03_math/07_autoencoder_objective"),
    # --- 04 code ----------------------------------------------------------------------------
    _E("mean absolute error", "平均绝对误差", "04_code/01_regression_mlp"),
    _E("root mean squared error", "均方根误差", "04_code/01_regression_mlp"),
    _E("feature scaling", "特征缩放", "04_code/01_regression_mlp"),
    _E("multilayer perceptron", "多层感知机", "04_code/01_regression_mlp"),
    _E("linear baseline", "线性基线", "04_code/01_regression_mlp"),
    _E("residual plot", "残差图", "04_code/01_regression_mlp"),
    _E("prediction interval", "预测区间", "04_code/01_regression_mlp"),
    _E("target encoding", "目标编码", "04_code/01_regression_mlp"),
    _E("ridge regression", "岭回归", "04_code/01_regression_mlp"),
    _E("residual", "残差", "04_code/01_regression_mlp"),
    _E("coverage", "覆盖率", "04_code/01_regression_mlp"),
    _E("sparse categorical cross-entropy", "稀疏分类交叉熵", "04_code/02_mlp_classifier"),
    _E("convolutional network", "卷积神经网络", "04_code/03_cnn"),
    _E("convolution", "卷积", "04_code/03_cnn"),
    _E("parameter budget", "参数预算", "04_code/03_cnn"),
    _E("filter", "卷积核", "04_code/03_cnn"),
    _E("feature map", "特征图", "04_code/03_cnn"),
    _E("local connectivity", "局部连接", "04_code/03_cnn"),
    _E("weight sharing", "权重共享", "04_code/03_cnn"),
    _E("max-pooling", "最大池化", "04_code/03_cnn"),
    _E("multiply-accumulate operation", "乘加运算", "04_code/03_cnn"),
    _E("look-ahead", "未来信息泄漏", "04_code/04_rnn_sequences"),
    _E("univariate time series", "单变量时间序列", "04_code/04_rnn_sequences"),
    _E("seasonality", "季节性", "04_code/04_rnn_sequences"),
    _E("seasonal naive", "季节性朴素预测", "04_code/04_rnn_sequences"),
    _E("linear autoregression", "线性自回归", "04_code/04_rnn_sequences"),
    _E("hidden state", "隐藏状态", "04_code/04_rnn_sequences"),
    _E("LSTM", "长短期记忆网络", "04_code/04_rnn_sequences"),
    _E("GRU", "门控循环单元", "04_code/04_rnn_sequences"),
    _E("time-series prediction", "时间序列预测", "04_code/04_rnn_sequences"),
    _E("standardize", "标准化", "04_code/04_rnn_sequences"),
    _E("sequence length", "序列长度", "04_code/05_transformer"),
    _E("sentiment analysis", "情感分析", "04_code/05_transformer"),
    _E("validation set", "验证集", "04_code/05_transformer"),
    _E("padding", "填充", "04_code/05_transformer"),
    _E("bag of words", "词袋模型", "04_code/05_transformer"),
    _E("TF-IDF", "词频-逆文档频率", "04_code/05_transformer"),
    _E("token embedding", "词嵌入", "04_code/05_transformer"),
    _E("pre-trained", "预训练", "04_code/05_transformer"),
    _E("latent space", "潜在空间", "04_code/06_autoencoder"),
    _E("anomaly score", "异常分数", "04_code/06_autoencoder"),
    _E("denoising autoencoder", "去噪自编码器", "04_code/06_autoencoder"),
    _E("transposed convolution", "转置卷积", "04_code/06_autoencoder"),
    _E("alarm threshold", "报警阈值", "04_code/06_autoencoder"),
    _E("false-positive rate", "假阳性率", "04_code/06_autoencoder"),
    _E("Gaussian blur", "高斯模糊", "04_code/06_autoencoder"),
    _E("duplicate", "重复记录", "04_code/07_from_messy_table_to_model"),
    _E("missingness indicator", "缺失指示变量", "04_code/07_from_messy_table_to_model"),
    _E("Tukey's fences", "箱线图规则", "04_code/07_from_messy_table_to_model"),
    _E("missing values", "缺失值", "04_code/07_from_messy_table_to_model"),
    _E("quantization", "量化", "04_code/08_export_and_quantize"),
    _E("symmetric per-channel quantization", "对称逐通道量化", "04_code/08_export_and_quantize"),
    _E("representative dataset", "代表性数据集", "04_code/08_export_and_quantize"),
    _E("signature", "签名", "04_code/08_export_and_quantize"),
    _E("percentile", "百分位数", "04_code/08_export_and_quantize"),
    _E("row format", "行格式", "04_code/09_serve_over_http"),
    _E("columnar format", "列格式", "04_code/09_serve_over_http"),
    _E("load test", "压力测试", "04_code/09_serve_over_http"),
    _E("column pruning", "列裁剪", "04_code/10_columnar_and_sql"),
    _E("predicate pushdown", "谓词下推", "04_code/10_columnar_and_sql"),
    _E("row group", "行组", "04_code/10_columnar_and_sql"),
    _E("hash aggregation", "哈希聚合", "04_code/10_columnar_and_sql"),
    _E("standalone cluster", "独立集群", "04_code/11_spark_scale_out"),
    _E("stage", "阶段", "04_code/11_spark_scale_out"),
    _E("task", "任务", "04_code/11_spark_scale_out"),
    _E("partition", "分区", "04_code/11_spark_scale_out"),
    _E("executor", "执行器", "04_code/11_spark_scale_out"),
    _E("driver", "驱动程序", "04_code/11_spark_scale_out"),
    _E("master", "主节点", "04_code/11_spark_scale_out"),
    _E("shuffle", "洗牌", "04_code/11_spark_scale_out"),
    _E("worker", "工作节点", "04_code/11_spark_scale_out"),
    _E("input pipeline", "输入管道", "04_code/12_tfdata_pipelines"),
    _E("shuffle buffer", "打乱缓冲区", "04_code/12_tfdata_pipelines"),
    _E("shard", "分片", "04_code/12_tfdata_pipelines"),
    _E("stream", "数据流", "04_code/12_tfdata_pipelines"),
    _E("data parallelism", "数据并行", "04_code/13_distributed_training"),
    _E("replica", "副本", "04_code/13_distributed_training"),
    _E("global batch", "全局批量", "04_code/13_distributed_training"),
    _E("all-reduce", "全归约", "04_code/13_distributed_training"),
    _E("logical device", "逻辑设备", "04_code/13_distributed_training"),
    _E("linear learning-rate scaling rule", "线性缩放规则", "04_code/13_distributed_training"),
    _E("chief", "主工作节点", "04_code/13_distributed_training"),
    # --- 05 trends and challenges -----------------------------------------------------------
    _E("large language model", "大语言模型", "05_trends/01_tiny_language_model"),
    _E("byte-pair encoding", "字节对编码", "05_trends/01_tiny_language_model"),
    _E("tokenization", "分词", "05_trends/01_tiny_language_model"),
    _E("perplexity", "困惑度", "05_trends/01_tiny_language_model"),
    _E("decoder-only Transformer", "仅解码器Transformer", "05_trends/01_tiny_language_model"),
    _E("temperature", "温度", "05_trends/01_tiny_language_model"),
    _E("greedy decoding", "贪心解码", "05_trends/01_tiny_language_model"),
    _E("key/value cache", "键值缓存", "05_trends/01_tiny_language_model"),
    _E("sampling", "采样", "05_trends/01_tiny_language_model"),
    _E("embedding matrix", "嵌入矩阵", "05_trends/01_tiny_language_model"),
    _E("scaling law", "缩放定律", "05_trends/02_scaling_laws"),
    _E("power law", "幂律", "05_trends/02_scaling_laws"),
    _E("irreducible loss", "不可约损失", "05_trends/02_scaling_laws"),
    _E("non-embedding parameters", "非嵌入参数", "05_trends/02_scaling_laws"),
    _E("compute-optimal", "计算最优", "05_trends/02_scaling_laws"),
    _E("model FLOPs utilisation", "模型算力利用率", "05_trends/03_compute_and_cost"),
    _E("power usage effectiveness", "电能使用效率", "05_trends/03_compute_and_cost"),
    _E("memory-bound", "访存受限", "05_trends/03_compute_and_cost"),
    _E("magnitude pruning", "剪枝", "05_trends/04_efficiency"),
    _E("knowledge distillation", "知识蒸馏", "05_trends/04_efficiency"),
    _E("soft targets", "软目标", "05_trends/04_efficiency"),
    _E("compressed sparse row", "压缩稀疏行", "05_trends/04_efficiency"),
    _E("low-rank adaptation", "低秩适配", "05_trends/04_efficiency"),
    _E("catastrophic forgetting", "灾难性遗忘", "05_trends/04_efficiency"),
    _E("student", "学生模型", "05_trends/04_efficiency"),
    _E("teacher", "教师模型", "05_trends/04_efficiency"),
    _E("saliency map", "显著性图", "05_trends/05_trust"),
    _E("completeness axiom", "完备性公理", "05_trends/05_trust"),
    _E("membership-inference attack", "成员推断攻击", "05_trends/05_trust"),
    _E("generalisation gap", "泛化差距", "05_trends/05_trust"),
    _E("differential privacy", "差分隐私", "05_trends/05_trust"),
    _E("sensitive attribute", "敏感属性", "05_trends/05_trust"),
    _E("selection rate", "选择率", "05_trends/05_trust"),
    _E("true-positive rate", "真阳性率", "05_trends/05_trust"),
    _E("demographic parity", "人口统计均等", "05_trends/05_trust"),
    _E("proxies", "代理变量", "05_trends/05_trust"),
    _E("matrix factorisation", "矩阵分解", "05_trends/06_applications"),
    _E("ranking metric", "排序指标", "05_trends/06_applications"),
    _E("cold-start problem", "冷启动", "05_trends/06_applications"),
    _E("object detection", "目标检测", "05_trends/06_applications"),
    _E("non-maximum suppression", "非极大值抑制", "05_trends/06_applications"),
    _E("sliding window", "滑动窗口", "05_trends/06_applications"),
    _E("Brier score", "布里尔分数", "05_trends/06_applications"),
    _E("multimodal", "多模态", "05_trends/07_multimodal_and_automl"),
    _E("modality", "模态", "05_trends/07_multimodal_and_automl"),
    _E("hyperparameter optimization", "超参数优化", "05_trends/07_multimodal_and_automl"),
    _E("grid search", "网格搜索", "05_trends/07_multimodal_and_automl"),
    _E("random search", "随机搜索", "05_trends/07_multimodal_and_automl"),
    _E("Bayesian optimization", "贝叶斯优化", "05_trends/07_multimodal_and_automl"),
    _E("functional API", "函数式 API", "05_trends/07_multimodal_and_automl"),
    _E("automated machine learning", "自动机器学习", "05_trends/07_multimodal_and_automl"),
    # --- 06 FAQ -----------------------------------------------------------------------------
    _E("overfitting", "过拟合", "06_faq/01_overfitting"),
    _E("weight penalty", "权重惩罚", "06_faq/01_overfitting"),
    _E("dropout", "随机失活", "06_faq/01_overfitting"),
    _E("data augmentation", "数据增强", "06_faq/01_overfitting"),
    _E("train/validation gap", "训练/验证差距", "06_faq/01_overfitting"),
    _E("early stopping", "早停", "06_faq/01_overfitting"),
    _E("mean/median filling", "均值/中位数填充", "06_faq/02_missing_data_and_outliers"),
    _E("model-based imputation", "基于模型的插补", "06_faq/02_missing_data_and_outliers"),
    _E("winsorising", "缩尾", "06_faq/02_missing_data_and_outliers"),
    _E("Huber loss", "稳健损失", "06_faq/02_missing_data_and_outliers"),
    _E("deletion", "删除", "06_faq/02_missing_data_and_outliers"),
    _E("outlier", "异常值", "06_faq/02_missing_data_and_outliers"),
    _E("learning-rate range test", "学习率范围测试", "06_faq/03_optimizer_and_learning_rate"),
    _E("learning-rate schedule", "学习率调度", "06_faq/03_optimizer_and_learning_rate"),
    _E("accuracy", "准确率", "06_faq/05_evaluating_models"),
    _E("calibration", "校准", "06_faq/05_evaluating_models"),
    _E("decision threshold", "决策阈值", "06_faq/05_evaluating_models"),
    _E("ROC curve", "受试者工作特征曲线", "06_faq/05_evaluating_models"),
    _E("precision", "精确率", "06_faq/05_evaluating_models"),
    _E("recall", "召回率", "06_faq/05_evaluating_models"),
    _E("confusion matrix", "混淆矩阵", "06_faq/05_evaluating_models"),
    # --- appendix --------------------------------------------------------------------------
    _E("true label", "真实标签", "appendix/02_seed_errata"),
)

# A word of an English term: letters/digits, inner hyphens, slashes or apostrophes
# ("one-hot", "L1/L2", "Little's"); markdown emphasis around it is ignored.
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’/\-][A-Za-z0-9]+)*")
_EMPHASIS = "*_`"
_OPENERS = "([\"'“‘"
# A parenthesis whose content starts with a CJK character.
_PAREN = re.compile(r"\(\s*([\u3400-\u4dbf\u4e00-\u9fff][^()]*)\)")
_SEPARATORS = re.compile(r"[,;:，；：]")
_CJK_START = re.compile(r"^\s*[\u3400-\u4dbf\u4e00-\u9fff]")
_LIST_MARKS = ("、", "与", "和", "及")
MAX_WORDS = 4


def normalize(text: str) -> str:
    """Comparison form of an English term or of markdown: case-folded, emphasis marks
    dropped, hyphens read as spaces, spaces around ``/`` removed, whitespace collapsed."""
    check_instance("text", text, str, "a string")
    text = text.casefold().replace("’", "'")
    text = re.sub(r"[*`]", "", text).replace("-", " ")
    text = re.sub(r"\s*/\s*", "/", text)
    return " ".join(text.split())


_INDEX: dict[str, Entry] = {normalize(e.english): e for e in GLOSSARY}


def lookup(term: str) -> Entry | None:
    """The glossary entry for ``term`` (compared after :func:`normalize`; a plural ending in
    "s" or "es" also finds its singular entry), or None."""
    key = normalize(term)
    for candidate in (key, key[:-1] if key.endswith("s") else "",
                      key[:-2] if key.endswith("es") else ""):
        if candidate and candidate in _INDEX:
            return _INDEX[candidate]
    return None


def _trailing_words(before: str) -> list[str]:
    """The longest run of up to ``MAX_WORDS`` words that ends ``before``: walk back over
    whitespace-separated tokens (a term may wrap onto the next line, but not across a blank
    line or out of a heading) while each, emphasis marks stripped, is a plain word. Stop at
    anything else (punctuation, math); after a word that follows an opening bracket or quote
    ("(learning rate"); and after the token that opens an emphasis span the last token closes
    ("the **optimizer state**" -> "optimizer state")."""
    lines = before.split("\n\n")[-1].split("\n")
    heading = max((i for i, line in enumerate(lines[:-1]) if line.lstrip().startswith("#")),
                  default=-1)
    tokens = " ".join(lines[heading + 1:]).split()
    words: list[str] = []
    closes = bool(tokens) and tokens[-1][-1:] in _EMPHASIS
    for token in reversed(tokens):
        word = token.strip(_EMPHASIS)
        opened = word[:1] in _OPENERS
        word = word.lstrip(_OPENERS).strip(_EMPHASIS)
        if len(words) == MAX_WORDS or not _WORD.fullmatch(word):
            break
        words.insert(0, word)
        if opened or (closes and token[:1] in _EMPHASIS):
            break
    return words


def pairs_in_text(text: str) -> list[tuple[str, str]]:
    """Every "term (中文)" pair in ``text`` (markdown), in order, as ``(english, chinese)``.

    The rule: a parenthesis whose content starts with a CJK character, directly after an
    English word. The Chinese is that content up to the first comma, semicolon or colon
    ("平均绝对误差, MAE" -> "平均绝对误差"). The English is the longest suffix of the (at
    most four) words just before the parenthesis that names a glossary entry (see
    :func:`lookup`), else all those words ("report the mean absolute error (平均绝对误差)"
    -> "mean absolute error"). A parenthesis that translates a list of terms is skipped: its
    Chinese holds 、, 与, 和 or 及, or a second CJK part after a comma ("naive and
    seasonal-naive forecasts (朴素预测, 季节性朴素预测)"); so is one with no word before it.
    """
    check_instance("text", text, str, "a string")
    pairs: list[tuple[str, str]] = []
    for match in _PAREN.finditer(text):
        parts = _SEPARATORS.split(match.group(1))
        chinese = parts[0].strip()
        if any(m in chinese for m in _LIST_MARKS) or any(_CJK_START.match(p) for p in parts[1:]):
            continue
        words = _trailing_words(text[:match.start()])
        if not words:
            continue
        english = " ".join(words)
        for start in range(len(words)):
            if lookup(" ".join(words[start:])) is not None:
                english = " ".join(words[start:])
                break
        pairs.append((english, chinese))
    return pairs


CHAPTER_TITLES: dict[str, str] = {
    "00_start": "Start here (从这里开始)", "01_background": "Background (背景)",
    "02_concepts": "Core concepts (核心概念与联系)",
    "03_math": "Algorithms and math (核心算法原理与数学模型)", "04_code": "Code (具体代码实例)",
    "05_trends": "Trends and challenges (未来发展趋势与挑战)", "06_faq": "FAQ (常见问题与解答)",
    "appendix": "Appendix (附录)",
}


def by_chapter() -> dict[str, list[Entry]]:
    """Glossary entries grouped by chapter folder (``"03_math"``), chapters in course order,
    entries sorted by English term (case-insensitive) within each chapter."""
    groups: dict[str, list[Entry]] = {}
    for entry in sorted(GLOSSARY, key=lambda e: (e.notebook.split("/")[0], e.english.casefold())):
        groups.setdefault(entry.notebook.split("/")[0], []).append(entry)
    return groups


def markdown_table(chapter: str) -> str:
    """One chapter's glossary as a markdown table for a notebook in ``notebooks/appendix/``:
    each English term links to its notebook (``../03_math/04_backpropagation.ipynb``), the
    form the book turns into links between its pages."""
    entries = by_chapter().get(check_instance("chapter", chapter, str, "a chapter folder name"))
    if entries is None:
        raise ValueError(f"chapter must be one of {sorted(by_chapter())}; got {chapter!r}")
    rows = ["| English | 中文 | taught in |", "|---|---|---|"]
    rows += [f"| [{e.english}](../{e.notebook}.ipynb) | {e.chinese} | "
             f"`{e.notebook.split('/')[1]}` |" for e in entries]
    return "\n".join(rows)
