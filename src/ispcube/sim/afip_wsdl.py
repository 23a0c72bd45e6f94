"""The WSDLs the simulated AFIP serves at `?WSDL`, written from AFIP's published service descriptions.

Only the operations the simulator answers are described (WSAA `loginCms`; WSFEv1 `FEDummy`,
`FECompTotXRequest`, `FECompUltimoAutorizado`, `FECAESolicitar`, `FECompConsultar`), with
AFIP's namespaces, element names and element order, so a SOAP client built from a WSDL (zeep)
sends what the real services expect. `{address}` is the simulator's own endpoint.
"""

WSAA_NS = "http://wsaa.view.sua.dvadac.desein.afip.gov"
WSFE_NS = "http://ar.gov.afip.dif.FEV1/"

WSAA_WSDL = """<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:impl="http://wsaa.view.sua.dvadac.desein.afip.gov" xmlns:intf="http://wsaa.view.sua.dvadac.desein.afip.gov"
    targetNamespace="http://wsaa.view.sua.dvadac.desein.afip.gov">
  <wsdl:types>
    <xsd:schema elementFormDefault="qualified" targetNamespace="http://wsaa.view.sua.dvadac.desein.afip.gov">
      <xsd:element name="loginCms">
        <xsd:complexType><xsd:sequence><xsd:element name="in0" type="xsd:string"/></xsd:sequence></xsd:complexType>
      </xsd:element>
      <xsd:element name="loginCmsResponse">
        <xsd:complexType><xsd:sequence>
          <xsd:element name="loginCmsReturn" type="xsd:string"/>
        </xsd:sequence></xsd:complexType>
      </xsd:element>
      <xsd:complexType name="LoginFault"><xsd:sequence/></xsd:complexType>
      <xsd:element name="fault" type="impl:LoginFault"/>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="loginCmsRequest"><wsdl:part name="parameters" element="impl:loginCms"/></wsdl:message>
  <wsdl:message name="loginCmsResponse"><wsdl:part name="parameters" element="impl:loginCmsResponse"/></wsdl:message>
  <wsdl:message name="LoginFault"><wsdl:part name="fault" element="impl:fault"/></wsdl:message>
  <wsdl:portType name="LoginCMS">
    <wsdl:operation name="loginCms">
      <wsdl:input name="loginCmsRequest" message="impl:loginCmsRequest"/>
      <wsdl:output name="loginCmsResponse" message="impl:loginCmsResponse"/>
      <wsdl:fault name="LoginFault" message="impl:LoginFault"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="LoginCmsSoapBinding" type="impl:LoginCMS">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="loginCms">
      <soap:operation soapAction=""/>
      <wsdl:input name="loginCmsRequest"><soap:body use="literal"/></wsdl:input>
      <wsdl:output name="loginCmsResponse"><soap:body use="literal"/></wsdl:output>
      <wsdl:fault name="LoginFault"><soap:fault name="LoginFault" use="literal"/></wsdl:fault>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="LoginCMSService">
    <wsdl:port name="LoginCms" binding="impl:LoginCmsSoapBinding"><soap:address location="{address}"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""

# Element lists of the WSFEv1 types, in the order of AFIP's schema: (name, type, optional).
_DET_REQUEST = [
    ("Concepto", "s:int", False), ("DocTipo", "s:int", False), ("DocNro", "s:long", False),
    ("CbteDesde", "s:long", False), ("CbteHasta", "s:long", False), ("CbteFch", "s:string", True),
    ("ImpTotal", "s:double", False), ("ImpTotConc", "s:double", False), ("ImpNeto", "s:double", False),
    ("ImpOpEx", "s:double", False), ("ImpTrib", "s:double", False), ("ImpIVA", "s:double", False),
    ("FchServDesde", "s:string", True), ("FchServHasta", "s:string", True), ("FchVtoPago", "s:string", True),
    ("MonId", "s:string", True), ("MonCotiz", "s:double", False), ("CanMisMonExt", "s:string", True),
    ("CondicionIVAReceptorId", "s:int", True), ("CbtesAsoc", "tns:ArrayOfCbteAsoc", True),
    ("Tributos", "tns:ArrayOfTributo", True), ("Iva", "tns:ArrayOfAlicIva", True),
    ("PeriodoAsoc", "tns:Periodo", True),
]
_DET_RESPONSE = [
    ("Concepto", "s:int", False), ("DocTipo", "s:int", False), ("DocNro", "s:long", False),
    ("CbteDesde", "s:long", False), ("CbteHasta", "s:long", False), ("CbteFch", "s:string", True),
    ("Resultado", "s:string", True), ("Observaciones", "tns:ArrayOfObs", True),
    ("CAE", "s:string", True), ("CAEFchVto", "s:string", True),
]
_CONSULTED = _DET_REQUEST + [
    ("Resultado", "s:string", True), ("CodAutorizacion", "s:string", True), ("EmisionTipo", "s:string", True),
    ("FchVto", "s:string", True), ("FchProceso", "s:string", True), ("Observaciones", "tns:ArrayOfObs", True),
    ("PtoVta", "s:int", False), ("CbteTipo", "s:int", False),
]
_TYPES = {
    "FEAuthRequest": [("Token", "s:string", True), ("Sign", "s:string", True), ("Cuit", "s:long", False)],
    "FECAERequest": [("FeCabReq", "tns:FECAECabRequest", True), ("FeDetReq", "tns:ArrayOfFECAEDetRequest", True)],
    "FECAECabRequest": [("CantReg", "s:int", False), ("PtoVta", "s:int", False), ("CbteTipo", "s:int", False)],
    "FECAEDetRequest": _DET_REQUEST,
    "CbteAsoc": [("Tipo", "s:int", False), ("PtoVta", "s:int", False), ("Nro", "s:long", False),
                 ("Cuit", "s:string", True), ("CbteFch", "s:string", True)],
    "Tributo": [("Id", "s:short", False), ("Desc", "s:string", True), ("BaseImp", "s:double", False),
                ("Alic", "s:double", False), ("Importe", "s:double", False)],
    "AlicIva": [("Id", "s:int", False), ("BaseImp", "s:double", False), ("Importe", "s:double", False)],
    "Periodo": [("FchDesde", "s:string", True), ("FchHasta", "s:string", True)],
    "FECAEResponse": [("FeCabResp", "tns:FECAECabResponse", True), ("FeDetResp", "tns:ArrayOfFECAEDetResponse", True),
                      ("Events", "tns:ArrayOfEvt", True), ("Errors", "tns:ArrayOfErr", True)],
    "FECAECabResponse": [("Cuit", "s:long", False), ("PtoVta", "s:int", False), ("CbteTipo", "s:int", False),
                         ("FchProceso", "s:string", True), ("CantReg", "s:int", False),
                         ("Resultado", "s:string", True), ("Reproceso", "s:string", True)],
    "FECAEDetResponse": _DET_RESPONSE,
    "Obs": [("Code", "s:int", False), ("Msg", "s:string", True)],
    "Err": [("Code", "s:int", False), ("Msg", "s:string", True)],
    "Evt": [("Code", "s:int", False), ("Msg", "s:string", True)],
    "FERecuperaLastCbteResponse": [("PtoVta", "s:int", False), ("CbteTipo", "s:int", False),
                                   ("CbteNro", "s:int", False), ("Errors", "tns:ArrayOfErr", True),
                                   ("Events", "tns:ArrayOfEvt", True)],
    "FECompConsultaReq": [("CbteTipo", "s:int", False), ("CbteNro", "s:long", False), ("PtoVta", "s:int", False)],
    "FECompConsultaResponse": [("ResultGet", "tns:FECompConsResponse", True), ("Errors", "tns:ArrayOfErr", True),
                               ("Events", "tns:ArrayOfEvt", True)],
    "FECompConsResponse": _CONSULTED,
    "FERegXReqResponse": [("RegXReq", "s:int", False), ("Errors", "tns:ArrayOfErr", True),
                          ("Events", "tns:ArrayOfEvt", True)],
    "DummyResponse": [("AppServer", "s:string", True), ("DbServer", "s:string", True),
                      ("AuthServer", "s:string", True)],
}
_ARRAYS = {"ArrayOfCbteAsoc": "CbteAsoc", "ArrayOfTributo": "Tributo", "ArrayOfAlicIva": "AlicIva",
           "ArrayOfFECAEDetRequest": "FECAEDetRequest", "ArrayOfFECAEDetResponse": "FECAEDetResponse",
           "ArrayOfObs": "Obs", "ArrayOfErr": "Err", "ArrayOfEvt": "Evt"}
# operation: (request elements, result type)
_OPERATIONS = {
    "FECAESolicitar": ([("Auth", "tns:FEAuthRequest"), ("FeCAEReq", "tns:FECAERequest")], "FECAEResponse"),
    "FECompTotXRequest": ([("Auth", "tns:FEAuthRequest")], "FERegXReqResponse"),
    "FEDummy": ([], "DummyResponse"),
    "FECompUltimoAutorizado": ([("Auth", "tns:FEAuthRequest"), ("PtoVta", "s:int"), ("CbteTipo", "s:int")],
                               "FERecuperaLastCbteResponse"),
    "FECompConsultar": ([("Auth", "tns:FEAuthRequest"), ("FeCompConsReq", "tns:FECompConsultaReq")],
                        "FECompConsultaResponse"),
}
OPERATIONS = tuple(_OPERATIONS)


def _element(name: str, kind: str, optional: bool) -> str:
    occurs = ' minOccurs="0"' if optional or kind.startswith("tns:") else ' minOccurs="1"'
    return f'<s:element{occurs} maxOccurs="1" name="{name}" type="{kind}"/>'


def _schema() -> str:
    parts = []
    for operation, (inputs, result) in _OPERATIONS.items():
        elements = "".join(_element(name, kind, kind.startswith("tns:")) for name, kind in inputs)
        parts.append(f'<s:element name="{operation}"><s:complexType><s:sequence>{elements}'
                     f'</s:sequence></s:complexType></s:element>')
        parts.append(f'<s:element name="{operation}Response"><s:complexType><s:sequence>'
                     f'<s:element minOccurs="0" maxOccurs="1" name="{operation}Result" type="tns:{result}"/>'
                     f'</s:sequence></s:complexType></s:element>')
    for name, fields in _TYPES.items():
        elements = "".join(_element(field, kind, optional) for field, kind, optional in fields)
        parts.append(f'<s:complexType name="{name}"><s:sequence>{elements}</s:sequence></s:complexType>')
    for name, item in _ARRAYS.items():
        parts.append(f'<s:complexType name="{name}"><s:sequence><s:element minOccurs="0" maxOccurs="unbounded" '
                     f'name="{item}" type="tns:{item}"/></s:sequence></s:complexType>')
    return "\n".join(parts)


def _operations(template: str) -> str:
    return "\n".join(template.format(op=operation) for operation in _OPERATIONS)


WSFE_WSDL = f"""<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="{WSFE_NS}" targetNamespace="{WSFE_NS}">
  <wsdl:types>
    <s:schema elementFormDefault="qualified" targetNamespace="{WSFE_NS}">
{_schema()}
    </s:schema>
  </wsdl:types>
{_operations('<wsdl:message name="{op}SoapIn"><wsdl:part name="parameters" element="tns:{op}"/></wsdl:message>'
             '<wsdl:message name="{op}SoapOut"><wsdl:part name="parameters" element="tns:{op}Response"/>'
             '</wsdl:message>')}
  <wsdl:portType name="ServiceSoap">
{_operations('<wsdl:operation name="{op}"><wsdl:input message="tns:{op}SoapIn"/>'
             '<wsdl:output message="tns:{op}SoapOut"/></wsdl:operation>')}
  </wsdl:portType>
  <wsdl:binding name="ServiceSoap" type="tns:ServiceSoap">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
{_operations('<wsdl:operation name="{op}"><soap:operation soapAction="' + WSFE_NS + '{op}" style="document"/>'
             '<wsdl:input><soap:body use="literal"/></wsdl:input>'
             '<wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>')}
  </wsdl:binding>
  <wsdl:service name="Service">
    <wsdl:port name="ServiceSoap" binding="tns:ServiceSoap"><soap:address location="{{address}}"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""
