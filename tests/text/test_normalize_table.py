"""Input → exact spoken form, in the language of commune announcements and Party documents."""

from __future__ import annotations

import pytest

from pipeline.text import find_unspeakable, normalize

NUMBERS = [
    ("0", "không"),
    ("5", "năm"),
    ("10", "mười"),
    ("11", "mười một"),
    ("14", "mười bốn"),
    ("15", "mười lăm"),
    ("20", "hai mươi"),
    ("21", "hai mươi mốt"),
    ("24", "hai mươi tư"),
    ("25", "hai mươi lăm"),
    ("55", "năm mươi lăm"),
    ("100", "một trăm"),
    ("101", "một trăm linh một"),
    ("105", "một trăm linh năm"),
    ("110", "một trăm mười"),
    ("115", "một trăm mười lăm"),
    ("1000", "một nghìn"),
    ("1005", "một nghìn không trăm linh năm"),
    ("1.005", "một nghìn không trăm linh năm"),
    ("2025", "hai nghìn không trăm hai mươi lăm"),
    ("1930", "một nghìn chín trăm ba mươi"),
    ("10.000", "mười nghìn"),
    ("3.500 hộ", "ba nghìn năm trăm hộ"),
    ("Dân số 12.500 người", "Dân số mười hai nghìn năm trăm người"),
    ("1.050.000", "một triệu không trăm năm mươi nghìn"),
    ("1.250.000", "một triệu hai trăm năm mươi nghìn"),
    ("1.000.000.000", "một tỷ"),
    ("1000000000000", "một nghìn tỷ"),
    ("1000000000000000000", "một tỷ tỷ"),
    ("12,5", "mười hai phẩy năm"),
    ("0,05", "không phẩy không năm"),
    ("3,125", "ba phẩy một trăm hai mươi lăm"),
    ("tăng 2,5 lần", "tăng hai phẩy năm lần"),
    ("Có 1.234,5 ha", "Có một nghìn hai trăm ba mươi tư phẩy năm héc ta"),
    ("Điều 3.2", "Điều ba chấm hai"),
    ("khoảng 1/3 diện tích", "khoảng một phần ba diện tích"),
    ("Thôn 1, thôn 2 và thôn 3", "Thôn một, thôn hai và thôn ba"),
    ("Ấp 5A", "Ấp năm A"),
    ("Hội nghị Trung ương 8 khóa XIII", "Hội nghị Trung ương tám khóa mười ba"),
    ("gió cấp 6, giật cấp 8", "gió cấp sáu, giật cấp tám"),
]

DATES = [
    ("Ngày 15/3/2021", "Ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi mốt"),
    (
        "3-2-1930 là ngày thành lập Đảng",
        "ngày ba tháng hai năm một nghìn chín trăm ba mươi là ngày thành lập Đảng",
    ),
    (
        "Hồi 04h00 ngày 27/11/2026",
        "Hồi bốn giờ ngày hai mươi bảy tháng mười một năm hai nghìn không trăm hai mươi sáu",
    ),
    ("Hẹn gặp 08/12", "Hẹn gặp ngày tám tháng mười hai"),
    (
        "ngày 08/12 và 09/12/2026",
        "ngày tám tháng mười hai và ngày chín tháng mười hai năm hai nghìn không trăm hai mươi sáu",
    ),
    ("vào 1/5", "vào ngày một tháng năm"),
    ("Ngày 1/4", "Ngày một tháng tư"),
    ("ngày 3-2", "ngày ba tháng hai"),
    ("ngày 15 tháng 3 năm 2021", "ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi mốt"),
    ("tháng 12/2026", "tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    ("tháng 4/2025", "tháng tư năm hai nghìn không trăm hai mươi lăm"),
    ("quý 3-2024", "quý ba năm hai nghìn không trăm hai mươi tư"),
    ("từ tháng 4", "từ tháng tư"),
    ("năm 2025", "năm hai nghìn không trăm hai mươi lăm"),
    ("Chủ nhật, 06/12/2026", "Chủ nhật, ngày sáu tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    ("Thứ 7, 15/3", "Thứ bảy, ngày mười lăm tháng ba"),
    (
        "Từ ngày 01/12/2026 đến ngày 31/12/2026",
        "Từ ngày một tháng mười hai năm hai nghìn không trăm hai mươi sáu "
        "đến ngày ba mươi mốt tháng mười hai năm hai nghìn không trăm hai mươi sáu",
    ),
    ("từ 1/5 đến 3/5", "từ ngày một tháng năm đến ngày ba tháng năm"),
    ("ngày 10-11/12", "ngày mười đến mười một tháng mười hai"),
    ("ngày 10-11/12/2026", "ngày mười đến mười một tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    ("Lúc 14h ngày 20/11", "Lúc mười bốn giờ ngày hai mươi tháng mười một"),
]

TIMES = [
    ("17h30", "mười bảy giờ ba mươi phút"),
    ("7h00", "bảy giờ"),
    ("04h00", "bốn giờ"),
    ("lúc 9h", "lúc chín giờ"),
    ("7 giờ 30", "bảy giờ ba mươi phút"),
    ("7 giờ 30 phút sáng", "bảy giờ ba mươi phút sáng"),
    ("17:30", "mười bảy giờ ba mươi phút"),
    ("7g30", "bảy giờ ba mươi phút"),
    ("6h30 đến 15h00", "sáu giờ ba mươi phút đến mười lăm giờ"),
    ("từ 7h30-11h00", "từ bảy giờ ba mươi phút đến mười một giờ"),
    ("từ 7h-9h", "từ bảy giờ đến chín giờ"),
    ("7:30 - 11:00", "bảy giờ ba mươi phút đến mười một giờ"),
    ("trước 17h00 hôm nay", "trước mười bảy giờ hôm nay"),
    ("trong 12 đến 24 giờ tới", "trong mười hai đến hai mươi tư giờ tới"),
    ("nặng 10g", "nặng mười gam"),
]

RANGES = [
    ("nhiệm kỳ 2020-2025", "nhiệm kỳ hai nghìn không trăm hai mươi đến hai nghìn không trăm hai mươi lăm"),
    ("nhiệm kỳ 2020 – 2025", "nhiệm kỳ hai nghìn không trăm hai mươi đến hai nghìn không trăm hai mươi lăm"),
    ("cấp 10-11", "cấp mười đến mười một"),
    ("từ 5 đến 7 ngày", "từ năm đến bảy ngày"),
    ("2-3 ngày", "hai đến ba ngày"),
    ("giảm 5-10%", "giảm năm đến mười phần trăm"),
    ("200.000 - 300.000 đồng", "hai trăm nghìn đến ba trăm nghìn đồng"),
    ("tốc độ 15-20km/h", "tốc độ mười lăm đến hai mươi ki lô mét trên giờ"),
    ("(89-117km/h), giật cấp 13", "tám mươi chín đến một trăm mười bảy ki lô mét trên giờ, giật cấp mười ba"),
    ("lượng mưa 100-200mm", "lượng mưa một trăm đến hai trăm mi li mét"),
    ("nhiệt độ 25-30°C", "nhiệt độ hai mươi lăm đến ba mươi độ xê"),
    ("thứ 2 - thứ 6", "thứ hai đến thứ sáu"),
    ("thứ 2-6", "thứ hai đến thứ sáu"),
]

QUANTITIES = [
    ("95%", "chín mươi lăm phần trăm"),
    ("12,5%", "mười hai phẩy năm phần trăm"),
    ("đạt 96,5%", "đạt chín mươi sáu phẩy năm phần trăm"),
    ("500.000đ", "năm trăm nghìn đồng"),
    ("1.250.000 đồng", "một triệu hai trăm năm mươi nghìn đồng"),
    ("2 tỷ đồng", "hai tỷ đồng"),
    ("1,5 tỷ đồng", "một phẩy năm tỷ đồng"),
    ("50.000 VNĐ", "năm mươi nghìn đồng"),
    ("50.000 VND", "năm mươi nghìn đồng"),
    ("100 USD", "một trăm đô la Mỹ"),
    ("120km", "một trăm hai mươi ki lô mét"),
    ("60 km/h", "sáu mươi ki lô mét trên giờ"),
    ("5mm", "năm mi li mét"),
    ("3 m", "ba mét"),
    ("120m2", "một trăm hai mươi mét vuông"),
    ("50 m²", "năm mươi mét vuông"),
    ("2 m3", "hai mét khối"),
    ("2 ha", "hai héc ta"),
    ("30°C", "ba mươi độ xê"),
    ("25 kg", "hai mươi lăm ki lô gam"),
    ("22kV", "hai mươi hai ki lô vôn"),
    ("250kVA", "hai trăm năm mươi ki lô vôn am pe"),
    ("100MW", "một trăm mê ga oát"),
    ("500 kWh", "năm trăm ki lô oát giờ"),
    ("15 cm", "mười lăm xen ti mét"),
    ("3x50mm2", "ba nhân năm mươi mi li mét vuông"),
    ("12,8 độ Vĩ Bắc", "mười hai phẩy tám độ Vĩ Bắc"),
    ("5 mặt hàng", "năm mặt hàng"),
    ("20 hai", "hai mươi hai"),
]

PHONES = [
    ("0263.3843.123", "không hai sáu ba, ba tám bốn ba, một hai ba"),
    ("0263.3658.114", "không hai sáu ba, ba sáu năm tám, một một bốn"),
    ("0912 345 678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ("0912345678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ("0912.345.678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ("Hotline: 1900 1006", "Hotline: một chín không không, một không không sáu"),
    ("1900.1006", "một chín không không, một không không sáu"),
    ("18001091", "một tám không không, một không chín một"),
    ("gọi 113", "gọi một một ba"),
    ("Cấp cứu 115", "Cấp cứu một một năm"),
    ("Công an: 113", "Công an: một một ba"),
    ("gọi ngay 114 hoặc 115", "gọi ngay một một bốn hoặc một một năm"),
    ("gọi số 115 khi cần", "gọi số một một năm khi cần"),
    ("điện thoại: 113", "điện thoại: một một ba"),
    ("Tổng đài 1022", "Tổng đài một không hai hai"),
    ("Đường dây nóng: 0263 3822 115", "Đường dây nóng: không hai sáu ba, ba tám hai hai, một một năm"),
    ("SĐT 0912345678", "số điện thoại không chín một hai, ba bốn năm, sáu bảy tám"),
    ("liên hệ với 125 hộ dân", "liên hệ với một trăm hai mươi lăm hộ dân"),
    ("số nhà 115", "số nhà một trăm mười lăm"),
    (
        "Số khẩn cấp: 113 (Công an), 114 (Cứu hỏa), 115 (Cấp cứu).",
        "Số khẩn cấp: một một ba, Công an, một một bốn, Cứu hỏa, một một năm, Cấp cứu.",
    ),
    ("Gọi 113, 114, 115 khi cần", "Gọi một một ba, một một bốn, một một năm khi cần"),
    ("Xe cứu thương 115", "Xe cứu thương một một năm"),
    ("Công an xã có 115 người", "Công an xã có một trăm mười lăm người"),
]

ORDINALS = [
    ("thứ 2", "thứ hai"),
    ("Thứ 2", "Thứ hai"),
    ("thứ 1", "thứ nhất"),
    ("lần thứ 4", "lần thứ tư"),
    ("các ngày thứ 3 và thứ 4", "các ngày thứ ba và thứ tư"),
    ("thứ 7 và Chủ nhật", "thứ bảy và Chủ nhật"),
    ("Kỳ họp thứ 10, HĐND khóa XII", "Kỳ họp thứ mười, Hội đồng nhân dân khóa mười hai"),
    ("từ tháng thứ 4 trở đi", "từ tháng thứ tư trở đi"),
    ("lần thứ 14", "lần thứ mười bốn"),
]

ROMAN = [
    ("lần thứ XI", "lần thứ mười một"),
    ("lần thứ I", "lần thứ nhất"),
    ("lần thứ IV", "lần thứ tư"),
    ("Đại hội XIII", "Đại hội mười ba"),
    ("Đại hội Đảng bộ huyện lần thứ XIII", "Đại hội Đảng bộ huyện lần thứ mười ba"),
    ("khóa XII", "khóa mười hai"),
    ("Quốc hội khóa XV", "Quốc hội khóa mười lăm"),
    ("đô thị loại IV", "đô thị loại bốn"),
    ("quý I năm 2025", "quý một năm hai nghìn không trăm hai mươi lăm"),
    ("thế kỷ XXI", "thế kỷ hai mươi mốt"),
    ("I. MỤC ĐÍCH, YÊU CẦU", "Phần một. Mục đích, yêu cầu"),
    ("II. NỘI DUNG ĐỔI MỚI", "Phần hai. Nội dung đổi mới"),
    ("III. TỔ CHỨC THỰC HIỆN", "Phần ba. Tổ chức thực hiện"),
    ("V. KẾT LUẬN", "Phần năm. Kết luận"),
    ("1. Mục đích", "Một. Mục đích"),
    ("2. Yêu cầu", "Hai. Yêu cầu"),
    ("1.1. Mục tiêu chung", "Một chấm một. Mục tiêu chung"),
    ("a) Nội dung thứ nhất", "a, Nội dung thứ nhất"),
    # never numerals
    ("I love you", "I love you"),
    ("Vitamin C và V", "Vitamin C và V"),
    ("CD MC DI", "CD MC DI"),
    ("Nhạc trên đĩa CD", "Nhạc trên đĩa CD"),
    ("MC: Xin chào bà con", "MC: Xin chào bà con"),
    ("khóa học DI", "khóa học DI"),
    ("loại C", "loại C"),
    ("Phần L", "Phần L"),
]

DOC_CODES = [
    ("24-KH/HU", "số hai mươi tư, kế hoạch của Huyện ủy"),
    ("Số 24 -KH/HU", "Số hai mươi tư, kế hoạch của Huyện ủy"),
    ("05-CT/TW", "số năm, chỉ thị của Trung ương"),
    ("135/QĐ-TTg", "số một trăm ba mươi lăm, quyết định của Thủ tướng Chính phủ"),
    # issue 7.31: number and year are said apart ("số một trăm, năm hai nghìn…"), not run together
    ("68/2014/QH13", "số sáu mươi tám, năm hai nghìn không trăm mười bốn, của Quốc hội khóa mười ba"),
    (
        "39/2020/TT-BTTTT",
        "số ba mươi chín, năm hai nghìn không trăm hai mươi, thông tư của Bộ Thông tin và Truyền thông",
    ),
    ("Quyết định số 135/QĐ-TTg", "Quyết định số một trăm ba mươi lăm của Thủ tướng Chính phủ"),
    ("Nghị định 100/2019/NĐ-CP", "Nghị định số một trăm, năm hai nghìn không trăm mười chín, của Chính phủ"),
    ("Chỉ thị số 05-CT/TW", "Chỉ thị số năm của Trung ương"),
    ("Công văn 123/UBND-VX", "Công văn số một trăm hai mươi ba của Ủy ban nhân dân khối văn xã"),
    ("Nghị quyết số 12-NQ/TU", "Nghị quyết số mười hai của Tỉnh ủy"),
    ("Thông báo số 45-TB/HU", "Thông báo số bốn mươi lăm của Huyện ủy"),
    ("Kết luận số 01-KL/TW", "Kết luận số một của Trung ương"),
    ("Hướng dẫn số 3-HD/BTGTU", "Hướng dẫn số ba của Ban Tuyên giáo Tỉnh ủy"),
    ("theo 15-BC/ĐU", "theo số mười lăm, báo cáo của Đảng ủy"),
    (
        "Kế hoạch số 152/KH-UBND ngày 20/11/2026",
        "Kế hoạch số một trăm năm mươi hai của Ủy ban nhân dân "
        "ngày hai mươi tháng mười một năm hai nghìn không trăm hai mươi sáu",
    ),
    ("BTG/TU", "Ban Tuyên giáo Tỉnh ủy"),
    ("TT/HU, TT/HĐND", "Thường trực Huyện ủy, Thường trực Hội đồng nhân dân"),
    ("Lưu VP, BTG/HU.", "Lưu Văn phòng, Ban Tuyên giáo Huyện ủy."),
    ("tổ 5-Nam", "tổ năm Nam"),
    ("trụ số 45/12", "trụ số bốn mươi lăm trên mười hai"),
    ("số nhà 12/3", "số nhà mười hai trên ba"),
]

ABBREVIATIONS = [
    ("UBND xã", "Ủy ban nhân dân xã"),
    ("HĐND huyện", "Hội đồng nhân dân huyện"),
    ("MTTQ", "Mặt trận Tổ quốc"),
    ("Ban Thường trực UBMTTQVN xã", "Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam xã"),
    ("các TCCS Đảng", "các tổ chức cơ sở Đảng"),
    ("BTV Huyện ủy", "Ban Thường vụ Huyện ủy"),
    ("BCH Đảng bộ", "Ban Chấp hành Đảng bộ"),
    ("Nghị quyết TW", "Nghị quyết Trung ương"),
    ("Văn phòng HU và TU", "Văn phòng Huyện ủy và Tỉnh ủy"),
    ("THPT và THCS", "trung học phổ thông và trung học cơ sở"),
    ("Ban Chỉ huy PCTT&TKCN xã", "Ban Chỉ huy phòng chống thiên tai và tìm kiếm cứu nạn xã"),
    ("Đ/c Nguyễn Văn A", "đồng chí Nguyễn Văn A"),
    ("Kính gửi: Đ/c Chủ tịch UBND xã", "Kính gửi: đồng chí Chủ tịch Ủy ban nhân dân xã"),
    ("TP.HCM", "Thành phố Hồ Chí Minh"),
    ("TP. Đà Lạt", "thành phố Đà Lạt"),
    ("CSGT", "Cảnh sát giao thông"),
    ("BHYT, BHXH", "bảo hiểm y tế, bảo hiểm xã hội"),
    ("CBCCVC", "cán bộ, công chức, viên chức"),
    ("đảm bảo ANTT", "đảm bảo an ninh trật tự"),
    ("phát triển KT-XH", "phát triển kinh tế xã hội"),
    ("ATGT và PCCC", "an toàn giao thông và phòng cháy chữa cháy"),
    ("xây dựng NTM", "xây dựng nông thôn mới"),
    ("thôn, TDP; v.v.", "thôn, tổ dân phố; vân vân."),
    ("T/M BAN THƯỜNG VỤ", "Thay mặt ban thường vụ"),
    ("KT. CHỦ TỊCH", "Ký thay chủ tịch"),
    ("phòng, chống COVID-19", "phòng, chống Cô vít mười chín"),
    ("Hội LHPN và HCCB", "Hội Liên hiệp Phụ nữ và Hội Cựu chiến binh"),
    ("Nhân dân và Hu Hu", "Nhân dân và Hu Hu"),
]

CAPITALS = [
    ("TIN KHẨN CẤP: CẢNH BÁO BÃO SỐ 9", "Tin khẩn cấp: cảnh báo bão số chín"),
    ("THÔNG BÁO", "Thông báo"),
    ("KẾ HOẠCH", "Kế hoạch"),
    ("THÔNG BÁO CỦA UBND XÃ VỀ VIỆC HỌP", "Thông báo của Ủy ban nhân dân xã về việc họp"),
    ("PHÓ BÍ THƯ", "Phó bí thư"),
    # issue 7.31: foreign acronyms are read through FOREIGN_ACRONYMS, no longer passed through
    ("Tuyên truyền về HIV/AIDS", "Tuyên truyền về hát i vê ết"),
    ("Chương trình của WHO", "Chương trình của Tổ chức Y tế Thế giới"),
]

CLEANUP = [
    ("**Chú ý**", "Chú ý"),
    ("*", ""),
    ("[Handwritten signature]", ""),
    ("Lê Hồng Khánh [chữ ký]", "Lê Hồng Khánh"),
    ("- Các hộ dân di dời.", "Các hộ dân di dời."),
    ("+ Mục hai", "Mục hai"),
    ("• Mục ba", "Mục ba"),
    (
        "chấp hành nghiêm pháp luật của Nhà nước... sớm đưa",
        "chấp hành nghiêm pháp luật của Nhà nước, sớm đưa",
    ),
    ("các trang mạng xã hội... Tùy theo", "các trang mạng xã hội. Tùy theo"),
    ("phong trào “Dân vận khéo”... nhằm", "phong trào Dân vận khéo, nhằm"),
    ("tình trạng “đọc - nghe” thụ động", "tình trạng đọc nghe thụ động"),
    ("trong Nhân dân (đối với các xã, thị trấn).", "trong Nhân dân, đối với các xã, thị trấn."),
    ("tiêm phòng uốn ván (VAT).", "tiêm phòng uốn ván."),
    ("Ban Chỉ huy Phòng chống thiên tai (PCTT&TKCN) xã", "Ban Chỉ huy Phòng chống thiên tai xã"),
    ("chính trị - xã hội", "chính trị xã hội"),
    ("Văn hóa - thông tin", "Văn hóa thông tin"),
    ("và/hoặc", "và hoặc"),
    ("Xin chào 😀 bà con", "Xin chào bà con"),
    ("Bà con 中文 chú ý", "Bà con chú ý"),
    ("Hello world", "Hello world"),
    ("Họp ‘đột xuất’ lúc 8h", "Họp đột xuất lúc tám giờ"),
    ("## Tin vắn", "Tin vắn"),
    ("trẻ em & phụ nữ", "trẻ em và phụ nữ"),
]

MORE = [
    ("nhiệt độ thấp nhất -2°C", "nhiệt độ thấp nhất âm hai độ xê"),
    ("Thứ 2 đến CN", "Thứ hai đến Chủ nhật"),
    ("Thứ 7, CN", "Thứ bảy, Chủ nhật"),
    ("thứ 2 - CN", "thứ hai đến Chủ nhật"),
    ("CN là gì", "CN là gì"),
    (
        "Kỷ niệm 135 năm Ngày sinh Chủ tịch Hồ Chí Minh (19/5/1890 - 19/5/2025)",
        "Kỷ niệm một trăm ba mươi lăm năm Ngày sinh Chủ tịch Hồ Chí Minh, ngày mười chín tháng năm năm "
        "một nghìn tám trăm chín mươi đến ngày mười chín tháng năm năm hai nghìn không trăm hai mươi lăm",
    ),
    ("Hỗ trợ 500.000 đồng/hộ", "Hỗ trợ năm trăm nghìn đồng một hộ"),
    ("giá 25.000đ/kg", "giá hai mươi lăm nghìn đồng một ki lô gam"),
    ("Mỗi hộ đóng 50.000đ/tháng", "Mỗi hộ đóng năm mươi nghìn đồng một tháng"),
    ("Công điện số 12/CĐ-UBND", "Công điện số mười hai của Ủy ban nhân dân"),
    (
        "Hội nghị BCH Đảng bộ xã lần thứ 15 (mở rộng)",
        "Hội nghị Ban Chấp hành Đảng bộ xã lần thứ mười lăm, mở rộng",
    ),
    ("QL20 và QL 27", "quốc lộ hai mươi và quốc lộ hai mươi bảy"),
    ("Tuyến ĐT 725", "Tuyến đường tỉnh bảy trăm hai mươi lăm"),
    ("ĐT: 0912345678", "điện thoại: không chín một hai, ba bốn năm, sáu bảy tám"),
    ("Đợt 1/2025", "Đợt một năm hai nghìn không trăm hai mươi lăm"),
    ("Năm học 2025-2026", "Năm học hai nghìn không trăm hai mươi lăm đến hai nghìn không trăm hai mươi sáu"),
    (
        "Luật số 31/2024/QH15",
        "Luật số ba mươi mốt, năm hai nghìn không trăm hai mươi tư, của Quốc hội khóa mười lăm",
    ),
    ("Thông tư 01/2021/TT-BNV", "Thông tư số một, năm hai nghìn không trăm hai mươi mốt, của Bộ Nội vụ"),
    ("Số 12/XYZ-UBND", "Số mười hai của ích xì i dài dét Ủy ban nhân dân"),
    ("Mức phạt từ 4-6 triệu đồng", "Mức phạt từ bốn đến sáu triệu đồng"),
    ("Độ ẩm 85-90%", "Độ ẩm tám mươi lăm đến chín mươi phần trăm"),
    ("Cao 1,65m", "Cao một phẩy sáu mươi lăm mét"),
    (
        "Giải phóng miền Nam 30/4/1975",
        "Giải phóng miền Nam ngày ba mươi tháng tư năm một nghìn chín trăm bảy mươi lăm",
    ),
    ("Ngày 30-4-1975", "Ngày ba mươi tháng tư năm một nghìn chín trăm bảy mươi lăm"),
    ("Phường 7, Quận 3, TP.HCM", "Phường bảy, Quận ba, Thành phố Hồ Chí Minh"),
    ("lúc 14 giờ 00", "lúc mười bốn giờ"),
    ("8h30’", "tám giờ ba mươi phút"),
    (
        "tổng cộng 1.234.567.890 đồng",
        "tổng cộng một tỷ hai trăm ba mươi tư triệu năm trăm sáu mươi bảy nghìn tám trăm chín mươi đồng",
    ),
    ('Hội thi "Dân vận khéo" lần thứ 3', "Hội thi Dân vận khéo lần thứ ba"),
    (
        "Theo QĐ số 1234/QĐ-UBND ngày 5/6/2025.",
        "Theo Quyết định số một nghìn hai trăm ba mươi tư của Ủy ban nhân dân "
        "ngày năm tháng sáu năm hai nghìn không trăm hai mươi lăm.",
    ),
    ("Lãi suất cho vay 0,65%/tháng.", "Lãi suất cho vay không phẩy sáu mươi lăm phần trăm một tháng."),
    ("Hỗ trợ 1.500.000đ/người/tháng.", "Hỗ trợ một triệu năm trăm nghìn đồng một người một tháng."),
    ("Ban CHQS xã, Chương trình MTQG", "Ban Chỉ huy quân sự xã, Chương trình mục tiêu quốc gia"),
    ("Theo NQ số 12-NQ/TU", "Theo Nghị quyết số mười hai của Tỉnh ủy"),
    (
        "đăng ký NVQS từ ngày 01/4 đến 30/4/2025",
        "đăng ký nghĩa vụ quân sự từ ngày một tháng tư đến ngày ba mươi tháng tư năm hai nghìn không trăm hai mươi lăm",
    ),
    ("Bầu cử đại biểu Quốc hội khóa XVI", "Bầu cử đại biểu Quốc hội khóa mười sáu"),
    (
        "có 1.245/1.300 hộ nộp thuế",
        "có một nghìn hai trăm bốn mươi lăm trên một nghìn ba trăm hộ nộp thuế",
    ),
    ("từ 7.500-8.000đ/kg", "từ bảy nghìn năm trăm đến tám nghìn đồng một ki lô gam"),
    ("Đường dây nóng 113.", "Đường dây nóng một một ba."),
    ("gió Đông Bắc cấp 3-4", "gió Đông Bắc cấp ba đến bốn"),
    (
        "Thời gian: 14h ngày thứ 6 (15/11).",
        "Thời gian: mười bốn giờ ngày thứ sáu, ngày mười lăm tháng mười một.",
    ),
    ("Kính gửi: - Các thôn trong xã; - Các đoàn thể.", "Kính gửi: Các thôn trong xã; Các đoàn thể."),
]

OTHER = [
    ("H5N1", "H năm N một"),
    ("F0", "F không"),
    ("loa.gov.vn", "loa chấm gov chấm vê en nờ"),
    ("email: ubnd@xa.gov.vn", "email: ubnd a còng xa chấm gov chấm vê en nờ"),
    ("khoảng 1/3", "khoảng một phần ba"),
    # found in QA: day-to-day ranges without a year, and the subject line of a letter
    ("Nghỉ lễ 30/4 - 1/5", "Nghỉ lễ ngày ba mươi tháng tư đến ngày một tháng năm"),
    ("từ 30/4-1/5", "từ ngày ba mươi tháng tư đến ngày một tháng năm"),
    ("từ 24/12 – 2/1", "từ ngày hai mươi tư tháng mười hai đến ngày hai tháng một"),
    ("ngày 1/5-3/5", "ngày một tháng năm đến ngày ba tháng năm"),
    ("1/4-3/4 diện tích", "một phần bốn đến ba phần bốn diện tích"),
    ("V/v: Tổ chức Đại hội", "về việc: Tổ chức Đại hội"),
]

SENTENCES = [
    (
        "Sức gió mạnh nhất vùng gần tâm bão mạnh cấp 10-11 (89-117km/h), giật cấp 13.",
        "Sức gió mạnh nhất vùng gần tâm bão mạnh cấp mười đến mười một, tám mươi chín đến một trăm "
        "mười bảy ki lô mét trên giờ, giật cấp mười ba.",
    ),
    (
        "Thời gian: từ 6h30 đến 15h00 ngày Chủ nhật, 06/12/2026.",
        "Thời gian: từ sáu giờ ba mươi phút đến mười lăm giờ ngày Chủ nhật, ngày sáu tháng mười hai "
        "năm hai nghìn không trăm hai mươi sáu.",
    ),
    (
        "trạm biến áp Phú Thạnh 3 (250kVA).",
        "trạm biến áp Phú Thạnh ba, hai trăm năm mươi ki lô vôn am pe.",
    ),
    (
        "Mọi thắc mắc xin liên hệ điện thoại 0263.3843.123 hoặc 0912 345 678.",
        "Mọi thắc mắc xin liên hệ điện thoại không hai sáu ba, ba tám bốn ba, một hai ba hoặc "
        "không chín một hai, ba bốn năm, sáu bảy tám.",
    ),
    (
        "3. Đối tượng: trẻ em từ 2 đến 24 tháng tuổi",
        "Ba. Đối tượng: trẻ em từ hai đến hai mươi tư tháng tuổi",
    ),
]


# --- issue 7.31: reading administrative text ---------------------------------------------------

#: The issuer named right after the code (after an optional date) is not said a second time.
ISSUER_NAMED_AFTER = [
    (
        "Kế hoạch số 24-KH/HU ngày 15/3/2021 của Huyện ủy Đức Trọng",
        "Kế hoạch số hai mươi tư ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi mốt "
        "của Huyện ủy Đức Trọng",
    ),
    (
        "Quyết định số 135/QĐ-TTg ngày 20/1/2020 của Thủ tướng Chính phủ",
        "Quyết định số một trăm ba mươi lăm ngày hai mươi tháng một năm hai nghìn không trăm hai mươi "
        "của Thủ tướng Chính phủ",
    ),
    (
        "Quyết định 1234/QĐ-UBND của UBND tỉnh",
        "Quyết định số một nghìn hai trăm ba mươi tư của Ủy ban nhân dân tỉnh",
    ),
    (
        "Căn cứ Quyết định số 1234/QĐ-UBND ngày 15 tháng 3 năm 2025 của UBND huyện Đức Trọng;",
        "Căn cứ Quyết định số một nghìn hai trăm ba mươi tư ngày mười lăm tháng ba năm hai nghìn không trăm "
        "hai mươi lăm của Ủy ban nhân dân huyện Đức Trọng;",
    ),
    (
        "Thực hiện Hướng dẫn số 3-HD/BTGTU, ngày 2/3/2021, của Ban Tuyên giáo Tỉnh ủy",
        "Thực hiện Hướng dẫn số ba, ngày hai tháng ba năm hai nghìn không trăm hai mươi mốt, "
        "của Ban Tuyên giáo Tỉnh ủy",
    ),
    (
        "theo Công văn số 456/UBND-VX của UBND huyện về việc tiêm chủng",
        "theo Công văn số bốn trăm năm mươi sáu của Ủy ban nhân dân huyện về việc tiêm chủng",
    ),
    (
        "theo 15-BC/ĐU ngày 3/4/2025 của Đảng ủy xã",
        "theo số mười lăm, báo cáo ngày ba tháng tư năm hai nghìn không trăm hai mươi lăm của Đảng ủy xã",
    ),
    # "của" before a lower-case word is not the issuer: the code keeps its issuer
    ("Theo Kế hoạch 24-KH/HU của mình", "Theo Kế hoạch số hai mươi tư của Huyện ủy của mình"),
    (
        "Thực hiện Kế hoạch số 152/KH-UBND ngày 20/11/2026 của UBND xã về công tác tiêm chủng",
        "Thực hiện Kế hoạch số một trăm năm mươi hai ngày hai mươi tháng mười một năm hai nghìn không trăm "
        "hai mươi sáu của Ủy ban nhân dân xã về công tác tiêm chủng",
    ),
]

#: Number and year of a code are said apart, with a pause a listener hears.
CODE_YEARS = [
    (
        "Căn cứ Nghị định số 100/2019/NĐ-CP ngày 30/12/2019 của Chính phủ",
        "Căn cứ Nghị định số một trăm, năm hai nghìn không trăm mười chín, ngày ba mươi tháng mười hai "
        "năm hai nghìn không trăm mười chín của Chính phủ",
    ),
    (
        "Căn cứ Luật số 68/2014/QH13 ngày 26/11/2014 của Quốc hội",
        "Căn cứ Luật số sáu mươi tám, năm hai nghìn không trăm mười bốn, ngày hai mươi sáu tháng mười một "
        "năm hai nghìn không trăm mười bốn của Quốc hội",
    ),
    (
        "Thông tư 39/2020/TT-BTTTT quy định",
        "Thông tư số ba mươi chín, năm hai nghìn không trăm hai mươi, của Bộ Thông tin và Truyền thông quy định",
    ),
    (
        "Luật 31/2024/QH15 về đất đai",
        "Luật số ba mươi mốt, năm hai nghìn không trăm hai mươi tư, của Quốc hội khóa mười lăm về đất đai",
    ),
    (
        "Căn cứ Nghị định số 100/2019/NĐ-CP;",
        "Căn cứ Nghị định số một trăm, năm hai nghìn không trăm mười chín, của Chính phủ;",
    ),
]

#: A date that names a street, a square, a bridge: no "ngày".
NAMED_DATES = [
    ("đường 3/2", "đường ba tháng hai"),
    ("số 25 đường 30/4", "số hai mươi lăm đường ba mươi tháng tư"),
    ("phố 19/5", "phố mười chín tháng năm"),
    ("Quảng trường 27/7", "Quảng trường hai mươi bảy tháng bảy"),
    ("Nhà văn hóa thôn, đường 2/9", "Nhà văn hóa thôn, đường hai tháng chín"),
    ("cầu 2-9", "cầu hai tháng chín"),
    ("quãng đường 1/5 km", "quãng đường một phần năm ki lô mét"),
    ("khoảng 3/4 ha lúa", "khoảng ba phần bốn héc ta lúa"),
    ("Đường 3/2, P.5, TP. Đà Lạt", "Đường ba tháng hai, phường năm, thành phố Đà Lạt"),
]

#: Wards, districts, quarters and kilometre posts.
PLACES = [
    ("P.5", "phường năm"),
    ("P.5, Q.3", "phường năm, quận ba"),
    ("Q.1, TP.HCM", "quận một, Thành phố Hồ Chí Minh"),
    ("KP.3, KP 4", "khu phố ba, khu phố bốn"),
    ("Km 210 Quốc lộ 20", "ki lô mét hai trăm mười Quốc lộ hai mươi"),
    ("tại Km 210+500 QL20", "tại ki lô mét hai trăm mười cộng năm trăm quốc lộ hai mươi"),
    ("Km 12+300 ĐT 725", "ki lô mét mười hai cộng ba trăm đường tỉnh bảy trăm hai mươi lăm"),
    ("sạt lở tại km15", "sạt lở tại ki lô mét mười lăm"),
    ("dài 120 km", "dài một trăm hai mươi ki lô mét"),
]

#: "X/Y" after a quantity is a rate: "X một Y". Speed units keep the table's "trên" (km/h).
PER_UNIT = [
    ("năng suất 6,5 tấn/ha", "năng suất sáu phẩy năm tấn một héc ta"),
    ("đạt 60 tạ/ha", "đạt sáu mươi tạ một héc ta"),
    ("bón 25 kg/ha", "bón hai mươi lăm ki lô gam một héc ta"),
    ("Phân bón 15 kg/sào", "Phân bón mười lăm ki lô gam một sào"),
    ("Cà phê giá 120.000 đồng/kg", "Cà phê giá một trăm hai mươi nghìn đồng một ki lô gam"),
    ("mật độ 300 người/km2", "mật độ ba trăm người một ki lô mét vuông"),
    ("nuôi 2 con/hộ", "nuôi hai con một hộ"),
    ("sản lượng 5.000 tấn/năm", "sản lượng năm nghìn tấn một năm"),
    ("Tỷ lệ người/hộ", "Tỷ lệ người hộ"),
    ("gió 1,5 m/s và 60 km/h", "gió một phẩy năm mét trên giây và sáu mươi ki lô mét trên giờ"),
]

#: "SN" with a year is "sinh năm"; with a house number, "số nhà".
BORN = [
    ("SN 1975", "sinh năm một nghìn chín trăm bảy mươi lăm"),
    (
        "Đỗ Văn Bình, SN 1985, trú thôn 3",
        "Đỗ Văn Bình, sinh năm một nghìn chín trăm tám mươi lăm, trú thôn ba",
    ),
    ("Bà Lê Thị C (SN 1960)", "Bà Lê Thị C, sinh năm một nghìn chín trăm sáu mươi"),
    ("cháu Nguyễn Văn D, SN: 2012", "cháu Nguyễn Văn D, sinh năm hai nghìn không trăm mười hai"),
    ("SN 25 đường Thống Nhất", "số nhà hai mươi lăm đường Thống Nhất"),
]

#: Foreign acronyms as announcers say them (tables.FOREIGN_ACRONYMS).
FOREIGN = [
    ("khuyến cáo của WHO", "khuyến cáo của Tổ chức Y tế Thế giới"),
    ("Quỹ UNICEF tài trợ", "Quỹ U ni xép tài trợ"),
    ("Hội nghị Cấp cao ASEAN lần thứ 43", "Hội nghị Cấp cao A xê an lần thứ bốn mươi ba"),
    ("phòng chống dịch COVID", "phòng chống dịch Cô vít"),
    ("ngày Thế giới phòng chống AIDS", "ngày Thế giới phòng chống ết"),
    ("người nhiễm HIV", "người nhiễm hát i vê"),
    (
        "dự án của FAO và UNDP",
        "dự án của Tổ chức Nông Lương Liên hợp quốc và Chương trình Phát triển Liên hợp quốc",
    ),
    ("gia nhập WTO, Diễn đàn APEC", "gia nhập Tổ chức Thương mại Thế giới, Diễn đàn A pếch"),
    ("GDP tăng 6,5%", "tổng sản phẩm trong nước tăng sáu phẩy năm phần trăm"),
    ("sản phẩm OCOP 3 sao", "sản phẩm Ô cốp ba sao"),
    ("phủ sóng 4G/5G", "phủ sóng bốn gờ, năm gờ"),
    ("mạng 5G", "mạng năm gờ"),
    ("cài đặt ứng dụng VNeID", "cài đặt ứng dụng vê en e ai đi"),
]

#: E-mail and web addresses: "a còng", "chấm"; of a web address only the site.
ADDRESSES = [
    (
        "Liên hệ email: tuyengiao@lamdong.gov.vn",
        "Liên hệ email: tuyengiao a còng lamdong chấm gov chấm vê en nờ",
    ),
    ("website www.ductrong.gov.vn.", "website vê kép vê kép vê kép chấm ductrong chấm gov chấm vê en nờ."),
    ("Xem tại https://dichvucong.gov.vn/p/home.html.", "Xem tại dichvucong chấm gov chấm vê en nờ."),
    ("Truy cập http://ductrong.lamdong.gov.vn/", "Truy cập ductrong chấm lamdong chấm gov chấm vê en nờ"),
    ("Gửi về b@vov.vn", "Gửi về bê a còng vov chấm vê en nờ"),
]

#: The dash between a name and a title (or another name) is a pause; in a compound it is not.
DASHES = [
    ("Đ/c A - Bí thư", "đồng chí A, Bí thư"),
    (
        "Đ/c Nguyễn Văn A - Bí thư Huyện ủy - Chủ tịch UBND huyện",
        "đồng chí Nguyễn Văn A, Bí thư Huyện ủy, Chủ tịch Ủy ban nhân dân huyện",
    ),
    ("Bà Lê Thị B - Phó Chủ tịch HĐND xã", "Bà Lê Thị B, Phó Chủ tịch Hội đồng nhân dân xã"),
    ("Nông dân Nguyễn Văn B - Tổ trưởng tổ hợp tác", "Nông dân Nguyễn Văn B, Tổ trưởng tổ hợp tác"),
    ("tuyến Hà Nội - Hải Phòng", "tuyến Hà Nội, Hải Phòng"),
    ("Phòng Văn hóa - Thông tin huyện", "Phòng Văn hóa Thông tin huyện"),
    (
        "Chi hội trưởng Chi hội Nông dân thôn 3 - ông Nguyễn Văn C - cho biết",
        "Chi hội trưởng Chi hội Nông dân thôn ba, ông Nguyễn Văn C, cho biết",
    ),
    ("Đà Lạt - thành phố ngàn hoa", "Đà Lạt, thành phố ngàn hoa"),
]

#: Found running real reports and notices through the normalizer (issue 7.31, "others").
FOUND_IN_REAL_TEXTS = [
    (
        "Tham dự có đ/c Trần Văn Hải - UVBTV Huyện ủy, Phó Chủ tịch UBND huyện.",
        "Tham dự có đồng chí Trần Văn Hải, Ủy viên Ban Thường vụ Huyện ủy, Phó Chủ tịch Ủy ban nhân dân huyện.",
    ),
    (
        "đ/c Lê Văn E, UVBCH Đảng bộ, PCT UBND xã",
        "đồng chí Lê Văn E, Ủy viên Ban Chấp hành Đảng bộ, Phó Chủ tịch Ủy ban nhân dân xã",
    ),
    (
        "Thành phần: TT HĐND, UBND xã; các đoàn thể.",
        "Thành phần: Thường trực Hội đồng nhân dân, Ủy ban nhân dân xã; các đoàn thể.",
    ),
    ("mời TT ĐU dự họp", "mời Thường trực Đảng ủy dự họp"),
    ("Tel: (0263) 3843 123", "Tel: không hai sáu ba, ba tám bốn ba, một hai ba"),
    ("Điện thoại: (0263) 3658 114", "Điện thoại: không hai sáu ba, ba sáu năm tám, một một bốn"),
    ("Tiền phạt từ 2.000.000đ - 3.000.000đ", "Tiền phạt từ hai triệu đồng đến ba triệu đồng"),
    ("Phạt tiền từ 4.000.000 đồng – 6.000.000 đồng", "Phạt tiền từ bốn triệu đồng đến sáu triệu đồng"),
    ("nhiệt độ 25°C - 30°C", "nhiệt độ hai mươi lăm độ xê đến ba mươi độ xê"),
    ("tăng 5% - 7%", "tăng năm phần trăm đến bảy phần trăm"),
    ("ban đêm - 3°C", "ban đêm âm ba độ xê"),
    ("Xe ô tô BKS 49A-123.45", "Xe ô tô biển kiểm soát bốn chín a, một hai ba bốn năm"),
    ("xe máy biển số 49-B1 234.56", "xe máy biển số bốn chín bê một, hai ba bốn năm sáu"),
    ("xe mô tô biển kiểm soát 49B1-23456", "xe mô tô biển kiểm soát bốn chín bê một, hai ba bốn năm sáu"),
    ("năng suất bình quân 3,8 tấn nhân/ha", "năng suất bình quân ba phẩy tám tấn nhân một héc ta"),
    ("Số tiền: 1.500.000 đ (Một triệu năm trăm nghìn đồng).", "Số tiền: một triệu năm trăm nghìn đồng."),
    (
        "Tổng cộng: 25.000.000 đồng (Bằng chữ: Hai mươi lăm triệu đồng chẵn)",
        "Tổng cộng: hai mươi lăm triệu đồng",
    ),
    ("Công ty TNHH MTV Cà phê Lâm Đồng", "Công ty trách nhiệm hữu hạn một thành viên Cà phê Lâm Đồng"),
    ("Công ty CP Điện lực", "Công ty cổ phần Điện lực"),
    ("Văn phòng HĐND-UBND xã", "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã"),
    ("mực nước dưới BĐ1", "mực nước dưới báo động một"),
    (
        "Lưu lượng về hồ 1.200 m3/s, xả 800 m3/s.",
        "Lưu lượng về hồ một nghìn hai trăm mét khối trên giây, xả tám trăm mét khối trên giây.",
    ),
    (
        "Tổng kinh phí 12,5 tr.đ, trong đó ngân sách 2 tỷ đ.",
        "Tổng kinh phí mười hai phẩy năm triệu đồng, trong đó ngân sách hai tỷ đồng.",
    ),
    ("hỗ trợ 500 nghìn đ mỗi hộ", "hỗ trợ năm trăm nghìn đồng mỗi hộ"),
    (
        "BS. Nguyễn Văn A, TS. Lê B, ThS. Trần C, PGS.TS Phạm D",
        "bác sĩ Nguyễn Văn A, tiến sĩ Lê B, thạc sĩ Trần C, phó giáo sư, tiến sĩ Phạm D",
    ),
    ("Có 85 GV tham gia.", "Có tám mươi lăm giáo viên tham gia."),
    ("Thôn 1 có 120 hộ/450 khẩu.", "Thôn một có một trăm hai mươi hộ, bốn trăm năm mươi khẩu."),
    ("Ngày 20/11 - Ngày Nhà giáo Việt Nam", "Ngày hai mươi tháng mười một, Ngày Nhà giáo Việt Nam"),
    ("và Quốc khánh 2/9", "và Quốc khánh ngày hai tháng chín"),
    ("chào mừng kỷ niệm 30/4 và 1/5", "chào mừng kỷ niệm ngày ba mươi tháng tư và ngày một tháng năm"),
    ("lũ lên mức BĐ3", "lũ lên mức báo động ba"),
]

ISSUE_731 = (
    FOUND_IN_REAL_TEXTS + ISSUER_NAMED_AFTER + CODE_YEARS + NAMED_DATES + PLACES + PER_UNIT + BORN + FOREIGN
)
ISSUE_731 += ADDRESSES + DASHES

CASES = NUMBERS + DATES + TIMES + RANGES + QUANTITIES + PHONES + ORDINALS + ROMAN + DOC_CODES
CASES += ABBREVIATIONS + CAPITALS + CLEANUP + MORE + OTHER + SENTENCES + ISSUE_731


def test_the_table_is_large() -> None:
    assert len(CASES) >= 150
    assert len({c[0] for c in CASES}) == len(CASES), "duplicate inputs"


@pytest.mark.parametrize(("text", "spoken"), CASES, ids=[c[0][:40] for c in CASES])
def test_normalize(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@pytest.mark.parametrize(("text", "spoken"), CASES, ids=[c[0][:40] for c in CASES])
def test_expected_forms_are_speakable(text: str, spoken: str) -> None:
    # Latin acronyms that are not Vietnamese (CD, MC) are allowed through; nothing else is.
    assert find_unspeakable(spoken) == []


EDGES = [
    ("X-quang phổi miễn phí", "X quang phổi miễn phí"),
    ("V.I. Lênin", "V.I. Lênin"),
    ("IV - Kết luận", "Phần bốn. Kết luận"),
    ("II.NỘI DUNG", "Phần hai. Nội dung"),
    ("+84 912 345 678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ("ủng hộ 2 - 3 triệu", "ủng hộ hai đến ba triệu"),
]


@pytest.mark.parametrize(("text", "spoken"), EDGES, ids=[c[0] for c in EDGES])
def test_edges(text: str, spoken: str) -> None:
    assert normalize(text) == spoken
